#include "service/runtime/portowner.h"

#include <gtest/gtest.h>

#include <QProcess>
#include <QTcpServer>
#include <QThread>

#include <csignal>
#include <unistd.h>

namespace Kiln::Runtime::Tests {
namespace {

TEST(PortOwner, KnowsTheListenerOfItsOwnGroup)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    EXPECT_TRUE(listenerBelongsToGroup(server.serverPort(), ::getpgrp()));
}

TEST(PortOwner, AListenerOfAnotherGroupIsNotOurs)
{
    // A child in a process group of its own holds the port.
    QTcpServer probe;
    ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    QProcess child;
    child.setChildProcessModifier([] { ::setpgid(0, 0); });
    child.start("python3",
                {"-c",
                 QStringLiteral("import socket,time\n"
                                "s=socket.socket()\n"
                                "s.bind(('127.0.0.1',%1))\n"
                                "s.listen()\n"
                                "print('up',flush=True)\n"
                                "time.sleep(30)\n")
                     .arg(port)});
    ASSERT_TRUE(child.waitForReadyRead(10000)) << child.readAllStandardError().toStdString();
    const pid_t group = pid_t(child.processId());
    EXPECT_TRUE(listenerBelongsToGroup(port, group));
    EXPECT_FALSE(listenerBelongsToGroup(port, ::getpgrp()));
    child.kill();
    child.waitForFinished(5000);
}

TEST(PortOwner, NobodyListeningIsNobodysPort)
{
    QTcpServer probe;
    ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    EXPECT_FALSE(listenerBelongsToGroup(port, ::getpgrp()));
}

} // namespace
} // namespace Kiln::Runtime::Tests
