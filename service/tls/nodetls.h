#pragma once

#include "shared/core/result.h"

#include <QSslConfiguration>
#include <QString>

namespace Kiln::Tls {

// A node's server side: its certificate (PEM, the chain after the leaf allowed) and key.
Result<QSslConfiguration> serverConfiguration(const QString &certPath, const QString &keyPath);

// Trusts the CA (PEM) for this process's outgoing TLS calls (the default QSslConfiguration:
// every QNetworkAccessManager), on top of the system's CAs. Start-up only.
Result<void> trustCa(const QString &caPath);

} // namespace Kiln::Tls
