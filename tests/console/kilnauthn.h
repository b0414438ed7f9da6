#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace Kiln::Console::Test {

// A real `kilnd authn` (AIS AuthN's API) on 127.0.0.1 with a temporary data folder. It signs
// with $KILN_AUTH_SECRET and its admin's password is $AIS_AUTHN_SU_PASS, so a test sets both
// (qputenv) before it starts this and the cluster. Waits are bounded; the destructor stops it.
class KilnAuthn
{
public:
    KilnAuthn() = default;
    ~KilnAuthn();

    // Starts and waits until GET /v1/health answers 200. Empty on success, otherwise why.
    QString start();
    void stop();
    QUrl url() const { return m_url; }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    QUrl m_url;
};

} // namespace Kiln::Console::Test
