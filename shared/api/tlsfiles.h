#pragma once

#include "shared/core/result.h"

#include <QSslConfiguration>
#include <QString>

namespace Kiln::Api {

// What a client needs to talk HTTPS to a Kiln (or AIS) cluster: the CA that signed the nodes'
// certificates (kilnd cluster --tls makes DIR/tls/ca.pem), and for mutual TLS a client
// certificate and its key (DIR/tls/client.pem, client.key). Every field is optional: without a
// CA only the system's are trusted.
struct TlsFiles
{
    QString caFile;
    QString certFile;
    QString keyFile;

    bool isEmpty() const { return caFile.isEmpty() && certFile.isEmpty() && keyFile.isEmpty(); }
    bool operator==(const TlsFiles &other) const = default;
};

// The configuration for these files: the system's CAs plus the file's, and the client
// certificate and key. Reads the (small) files at once; fails naming the file that is missing,
// unreadable or not PEM. A key that is not the certificate's shows in the handshake.
Result<QSslConfiguration> loadTlsConfiguration(const TlsFiles &files);

} // namespace Kiln::Api
