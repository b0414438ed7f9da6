#pragma once

#include "shared/core/result.h"

#include <QSslConfiguration>
#include <QString>

namespace Kiln::Tls {

// A node's server side: its certificate (PEM, the chain after the leaf allowed) and key.
// With clientCaPath, mutual TLS (AIS's client_auth_tls "require and verify"): every client must
// present a certificate that this CA signed, or the handshake fails.
Result<QSslConfiguration> serverConfiguration(const QString &certPath, const QString &keyPath,
                                              const QString &clientCaPath = {});
// Presents this certificate and key on the process's outgoing TLS calls (the default
// QSslConfiguration), for servers that ask for a client certificate.
Result<void> presentClientCertificate(const QString &certPath, const QString &keyPath);
// The same from a configuration already loaded (serverConfiguration's certificate and key).
void presentOnCalls(const QSslConfiguration &own);

// Trusts the CA (PEM) for this process's outgoing TLS calls (the default QSslConfiguration:
// every QNetworkAccessManager), on top of the system's CAs. Start-up only.
Result<void> trustCa(const QString &caPath);

} // namespace Kiln::Tls
