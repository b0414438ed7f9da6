#include "service/etl/comm/instanceurl.h"

#include "service/etl/communicator.h"
#include "shared/cluster/hrw.h"

#include <QHostAddress>
#include <QUrlQuery>

namespace Kiln::Etl {
namespace {

QString encoded(const QString &value)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(value));
}

bool isLoopback(const QHostAddress &address)
{
    bool v4 = false;
    const quint32 ipv4 = address.toIPv4Address(&v4); // also ::ffff:127.0.0.1
    return v4 ? QHostAddress(ipv4).isLoopback() : address.isLoopback();
}

QUrlQuery query(const TransformJob &job, bool fqn)
{
    QUrlQuery q;
    if (!job.etlArgs.isEmpty())
        q.addQueryItem("etl_args", encoded(job.etlArgs));
    if (fqn)
        q.addQueryItem("etl_fqn", encoded(job.fqn));
    return q;
}

} // namespace

QUrl pushUrl(QUrl endpoint, const TransformJob &job, bool fqn)
{
    endpoint.setPath('/' + job.bucket + '/' + job.object);
    endpoint.setQuery(query(job, fqn));
    return endpoint;
}

QUrl revUrl(QUrl endpoint, const TransformJob &job, bool fqn)
{
    // The whole uname travels as one path segment: '/' -> %2F, '#' -> %23, '@' kept.
    const QString uname = QString::fromLatin1(QUrl::toPercentEncoding(
        QString::fromUtf8(Cluster::objectUname(job.bucket, job.object)), "@"));
    endpoint.setPath('/' + uname, QUrl::StrictMode);
    endpoint.setQuery(query(job, fqn));
    return endpoint;
}

bool reachableFrom(const QUrl &url, const QHostAddress &client)
{
    const QString host = url.host();
    const bool loopbackUrl = host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0
        || isLoopback(QHostAddress(host));
    return !loopbackUrl || isLoopback(client);
}

} // namespace Kiln::Etl
