#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace Kiln::Auth {

// The cluster's secret as this process holds it, and what nodes make with it for each other:
// the bearer token of intra-cluster calls and the signature of the proxy's redirects. Set
// once at start-up, before any thread or server runs, and read-only afterwards; empty (the
// default) means auth is off and nothing is added or checked.
class ClusterSecret final
{
public:
    static void install(const QByteArray &secret);
    static bool isSet();
    static const QByteArray &value();

    // "Bearer <jwt>" for a node's own call to another node: an admin token of subject
    // "kiln-node", good for NodeTokenSeconds. Empty when no secret is set.
    static QByteArray intraAuthorization();
    static constexpr int NodeTokenSeconds = 300;

    // The proxy's redirect of an object call to its target: a signature of the method and the
    // whole request-target the target will see before the signature (path and query, the
    // client's parameters and the redirect's pid and utm, as sent, still percent-encoded), so
    // no parameter can be added or changed on the way (AIS's "u" query parameter). Empty when
    // no secret.
    static QByteArray signRedirect(QByteArrayView method, QByteArrayView signedTarget);
    // Where a request-target (path and query, as received) has its redirect signature, a last
    // query parameter "u": the index of its "&u=", or -1 when it has none.
    static qsizetype redirectSignatureAt(QByteArrayView target);
    // A redirect as the target got it, its signature at `at` (redirectSignatureAt): "&u=" and
    // the signature of the part before it, whose utm parameter (nanoseconds, base 36) must be
    // at most MaxRedirectAge old.
    static Result<void> verifyRedirect(QByteArrayView method, QByteArrayView target,
                                       qsizetype at, qint64 nowNs);
    static constexpr qint64 MaxRedirectAgeNs = 5LL * 60 * 1000 * 1000 * 1000;

private:
    static QByteArray &storage();
};

// Query parameter of the redirect signature (AIS: apc.QparamSig).
inline constexpr char RedirectSigQuery[] = "u";

} // namespace Kiln::Auth
