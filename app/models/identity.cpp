#include "app/models/identity.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Kiln::Console {
namespace {

// AuthN writes permissions as a decimal string ("perm": "255"); a number is taken too.
quint64 permOf(const QJsonValue &value)
{
    return value.isDouble() ? quint64(value.toDouble()) : value.toString().toULongLong();
}

QString tr(const char *text)
{
    return QCoreApplication::translate("Kiln::Console::Identity", text);
}

} // namespace

Identity Identity::fromToken(const QString &token)
{
    Identity id;
    const QString trimmed = token.trimmed();
    if (trimmed.isEmpty())
        return id;
    id.m_hasToken = true;
    const QStringList parts = trimmed.split(QLatin1Char('.'));
    if (parts.size() != 3) {
        id.m_error = tr("the token is not a JWT (header.payload.signature)");
        return id;
    }
    const auto payload = QByteArray::fromBase64Encoding(
        parts.at(1).toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals
                                    | QByteArray::AbortOnBase64DecodingErrors);
    const QJsonDocument doc = payload ? QJsonDocument::fromJson(*payload) : QJsonDocument();
    if (!doc.isObject()) {
        id.m_error = tr("the token's claims are not base64url JSON");
        return id;
    }
    const QJsonObject claims = doc.object();
    id.m_subject = claims.value("sub").toString();
    id.m_admin = claims.value("admin").toBool();
    id.m_expiresAt = qint64(claims.value("exp").toDouble());
    for (const QJsonValue &c : claims.value("clusters").toArray())
        id.m_clusters.append({c["id"].toString(), {}, permOf(c["perm"])});
    for (const QJsonValue &b : claims.value("buckets").toArray()) {
        const QJsonObject bck = b["bck"].toObject();
        id.m_buckets.append({bck["namespace"].toObject()["uuid"].toString(),
                             bck["name"].toString(), permOf(b["perm"])});
    }
    return id;
}

const Identity::Acl *Identity::clusterAcl() const
{
    const Acl *fallback = nullptr;
    for (const Acl &acl : m_clusters) {
        if (!m_clusterId.isEmpty() && acl.cluster == m_clusterId)
            return &acl;
        if (acl.cluster.isEmpty())
            fallback = &acl;
    }
    // The cluster's UUID not known yet and one cluster named: that is the one it was made for.
    if (!fallback && m_clusterId.isEmpty() && m_clusters.size() == 1)
        return &m_clusters.first();
    return fallback;
}

bool Identity::may(quint64 perms, const QString &bucket) const
{
    if (!checkable() || m_admin)
        return true;
    if (perms & Admin)
        return false;
    if (!bucket.isEmpty()) {
        for (const Acl &acl : m_buckets) {
            if (acl.bucket == bucket && (m_clusterId.isEmpty() || acl.cluster == m_clusterId))
                return (acl.perms & perms) == perms;
        }
    }
    const Acl *cluster = clusterAcl();
    return cluster && (cluster->perms & perms) == perms;
}

bool Identity::mayWriteSomewhere() const
{
    if (may(Put))
        return true;
    for (const Acl &acl : m_buckets) {
        if ((acl.perms & Put) && (m_clusterId.isEmpty() || acl.cluster == m_clusterId))
            return true;
    }
    return false;
}

QString Identity::summary() const
{
    if (!m_hasToken)
        return tr("no token");
    if (!m_error.isEmpty())
        return tr("unreadable token");
    const QString who = m_subject.isEmpty() ? tr("(no subject)") : m_subject;
    if (m_admin)
        return tr("%1 (admin)").arg(who);
    return tr("%1 (%2)").arg(who, mayWriteSomewhere() ? tr("read-write") : tr("read-only"));
}

QString Identity::needsAdminText() const
{
    return tr("Needs an admin: %1 is not one").arg(m_subject);
}

QString Identity::needsWriteText(const QString &bucket) const
{
    return bucket.isEmpty() ? tr("Needs write permission: %1 may not write").arg(m_subject)
                            : tr("Needs write permission on %1: %2 may not write there")
                                  .arg(bucket, m_subject);
}

} // namespace Kiln::Console
