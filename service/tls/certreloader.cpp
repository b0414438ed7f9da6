#include "service/tls/certreloader.h"

#include "service/tls/nodetls.h"
#include "shared/core/logging.h"

#include <QFile>
#include <QSslCertificate>

#include <sys/stat.h>

namespace Kiln::Tls {

CertReloader::CertReloader(QString certPath, QString keyPath, QString clientCaPath, Apply apply,
                           QObject *parent, int pollMs)
    : QObject(parent)
    , m_cert(std::move(certPath))
    , m_key(std::move(keyPath))
    , m_clientCa(std::move(clientCaPath))
    , m_apply(std::move(apply))
{
    m_loaded = {stampOf(m_cert), stampOf(m_key)}; // the pair the node started with
    m_seen = m_loaded;
    m_timer.setInterval(pollMs);
    connect(&m_timer, &QTimer::timeout, this, &CertReloader::poll);
    m_timer.start();
}

CertReloader::Stamp CertReloader::stampOf(const QString &path)
{
    struct stat st
    { };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return {qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, qint64(st.st_size),
            quint64(st.st_ino)};
}

void CertReloader::poll()
{
    const QPair<Stamp, Stamp> now{stampOf(m_cert), stampOf(m_key)};
    const bool settled = now == m_seen; // unchanged since the last poll
    m_seen = now;
    if (!settled || now == m_loaded)
        return;
    m_loaded = now; // a pair that fails is not retried until the files change again
    auto conf = serverConfiguration(m_cert, m_key, m_clientCa);
    if (!conf) {
        Log::http().warn("tls: the changed certificate or key does not load, still serving the "
                         "previous pair: {}",
                         conf.error().message);
        return;
    }
    const QSslCertificate cert = conf->localCertificate();
    ++m_reloads;
    Log::http().info("tls: serving the renewed certificate {} (serial {}, valid until {})",
                     m_cert, QString::fromLatin1(cert.serialNumber()),
                     cert.expiryDate().toString(Qt::ISODate));
    m_apply(*conf);
}

} // namespace Kiln::Tls
