#pragma once

#include <QList>
#include <QString>
#include <QtGlobal>

namespace Kiln::Console {

// Who the console is logged in as and what they may do, read from the bearer token's claims
// (AIS AuthN's: sub, exp, admin, clusters and buckets with "perm" bits) *without* checking its
// signature: for display and for greying out actions only. The cluster stays the authority (a
// 401 or 403 from it is still shown). Without a token nothing is greyed: auth may be off.
class Identity
{
public:
    // AIS's permission bits (apc.AccessAttrs) the console asks about.
    enum Perm : quint64 {
        Get = 1ULL << 0,
        Put = 1ULL << 2,
        ObjDelete = 1ULL << 4,
        ObjMove = 1ULL << 5,
        ObjList = 1ULL << 9,
        ListBuckets = 1ULL << 12,
        ShowCluster = 1ULL << 13,
        CreateBucket = 1ULL << 14,
        Admin = 1ULL << 17,
    };

    Identity() = default; // no token
    // The claims of a JWT (header.payload.signature, base64url). A token that does not decode
    // gives an identity with a decodeError(); it greys nothing (the cluster will say 401).
    static Identity fromToken(const QString &token);

    bool hasToken() const { return m_hasToken; }
    QString decodeError() const { return m_error; }
    QString subject() const { return m_subject; }
    bool isAdmin() const { return m_admin; }
    qint64 expiresAt() const { return m_expiresAt; } // seconds since the epoch, 0 if none
    bool isExpired(qint64 now) const { return m_expiresAt > 0 && m_expiresAt <= now; }

    // The cluster (its UUID, from the cluster map) whose ACL applies; "" (AuthN's default
    // cluster) until it is known.
    void setClusterId(const QString &uuid) { m_clusterId = uuid; }

    // AIS's order: admin; the bucket's own ACL; the cluster's (or the default cluster's).
    // Always true without a token or with one that did not decode.
    bool may(quint64 perms, const QString &bucket = {}) const;
    bool mayAdminister() const { return may(Admin); }
    bool mayWrite(const QString &bucket) const { return may(Put, bucket); }
    // Put into at least one bucket (for actions whose destination is chosen later).
    bool mayWriteSomewhere() const;

    // "bob (read-only)", "admin (admin)", "no token" for the status bar.
    QString summary() const;
    // Why an action is greyed out, for its tooltip: "Needs an admin: bob is not one".
    QString needsAdminText() const;
    QString needsWriteText(const QString &bucket = {}) const;

private:
    struct Acl
    {
        QString cluster; // cluster UUID; "" for any cluster
        QString bucket; // empty for a cluster ACL
        quint64 perms = 0;
    };
    const Acl *clusterAcl() const;
    bool checkable() const { return m_hasToken && m_error.isEmpty(); }

    bool m_hasToken = false;
    QString m_error;
    QString m_subject;
    bool m_admin = false;
    qint64 m_expiresAt = 0;
    QList<Acl> m_clusters;
    QList<Acl> m_buckets;
    QString m_clusterId;
};

} // namespace Kiln::Console
