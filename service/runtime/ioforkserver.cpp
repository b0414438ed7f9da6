#include "service/runtime/ioforkserver.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace Kiln::Runtime {

QString IoForkServer::attachProgram()
{
    static const QString found = [] {
        const QString dir = QCoreApplication::applicationDirPath();
        for (const QString &path : {dir + QStringLiteral("/kiln-io-attach"),
                                    dir + QStringLiteral("/../libexec/kiln/kiln-io-attach")}) {
            if (QFileInfo(path).isExecutable())
                return QDir::cleanPath(path);
        }
        return QString();
    }();
    return found;
}

SocketProbe::SocketProbe(QObject *parent)
    : QObject(parent)
{
    m_timer.setInterval(20);
    connect(&m_timer, &QTimer::timeout, this, &SocketProbe::probe);
}

void SocketProbe::start(const QString &path)
{
    m_path = path;
    m_timer.start();
    probe();
}

void SocketProbe::probe()
{
    if (!m_timer.isActive() || !QFileInfo::exists(m_path))
        return;
    m_timer.stop();
    Q_EMIT succeeded();
}

} // namespace Kiln::Runtime
