#pragma once

#include "shared/core/result.h"

#include <QString>
#include <QStringList>

namespace Kiln::Tls {

// The files `kilnd cluster --tls` gives its nodes.
struct TlsFiles
{
    QString ca; // ca.pem: what clients trust (AIS_CLIENT_CA, requests' verify=)
    QString cert; // node.pem: the nodes' certificate, signed by the CA
    QString key; // node.key (mode 0600)
    QString clientCert; // client.pem: for clients of a mutual-TLS cluster (clientAuth only)
    QString clientKey; // client.key (mode 0600)
};

// A private CA, one node certificate for `hosts` (IP addresses or DNS names, in its
// subjectAltName) and one client certificate, made with OpenSSL (EC P-256, SHA-256; CA 10 years,
// the others 2 years) in dir, or the ones already there (a client certificate missing from an
// older dir is made from its ca.key). For trying HTTPS on one machine, not a production PKI.
Result<TlsFiles> ensureSelfSignedCa(const QString &dir, const QStringList &hosts);

} // namespace Kiln::Tls
