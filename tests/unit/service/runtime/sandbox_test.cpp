#include "service/runtime/sandbox.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace Kiln::Runtime;

namespace {

void writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(content);
}

QString canonical(const QString &path)
{
    return QFileInfo(path).canonicalFilePath();
}

// A venv made from an interpreter installed under <root>/prefix, as pyenv's are.
struct FakeVenv
{
    QTemporaryDir dir;
    QString venv = dir.path() + "/venv";
    QString prefix = dir.path() + "/prefix";
    QString etlDir = dir.path() + "/etl";

    FakeVenv()
    {
        writeFile(prefix + "/bin/python3", "#!/bin/sh\n");
        writeFile(venv + "/pyvenv.cfg", ("home = " + prefix + "/bin\nversion = 3.11\n").toUtf8());
        QDir().mkpath(etlDir);
    }
};

int indexOf(const QStringList &args, const QStringList &seq)
{
    for (qsizetype i = 0; i + seq.size() <= args.size(); ++i) {
        if (args.mid(i, seq.size()) == seq)
            return int(i);
    }
    return -1;
}

} // namespace

TEST(SandboxTest, ReadsTheVenvAndTheInterpreterItWasMadeFromButNoSystemFolder)
{
    FakeVenv f;
    const QStringList paths = Sandbox::readOnlyPathsFor(
        {"/usr/bin/python3", {"-c", "pass"}, f.etlDir, {}, f.venv});
    EXPECT_EQ(paths, (QStringList{canonical(f.venv), canonical(f.prefix)}));
}

TEST(SandboxTest, BindsAbsoluteArgumentsOnceAndNothingInsideTheEtlFolder)
{
    FakeVenv f;
    writeFile(f.dir.path() + "/tools/server.py", "");
    writeFile(f.etlDir + "/code.py", "");
    const QString tools = f.dir.path() + "/tools";
    const QStringList paths = Sandbox::readOnlyPathsFor(
        {tools + "/bin/run", {tools + "/server.py", f.etlDir + "/code.py", "/nonexistent/x"},
         f.etlDir, {}, {}});
    // The program's prefix (tools/, above bin/) covers server.py; code.py is in the ETL folder.
    EXPECT_EQ(paths, QStringList{canonical(tools)});
}

TEST(SandboxTest, HidesTheTargetsFilesOnlyWhereABoundFolderWouldShowThem)
{
    FakeVenv f;
    writeFile(f.venv + "/secret.key", "k");
    QDir().mkpath(f.dir.path() + "/data");
    Sandbox sandbox({true, "bwrap", {f.venv + "/secret.key", f.dir.path() + "/data"}});
    const QStringList args = sandbox.bwrapArguments({"/usr/bin/python3", {}, f.etlDir, {}, f.venv});
    const QString key = canonical(f.venv + "/secret.key");
    EXPECT_GE(indexOf(args, {"--ro-bind", "/dev/null", key}), 0);
    EXPECT_EQ(args.count(canonical(f.dir.path() + "/data")), 0); // not mounted at all
    const int mask = indexOf(args, {"--ro-bind", "/dev/null", key});
    const int etl = indexOf(args, {"--bind", f.etlDir, f.etlDir});
    ASSERT_GE(etl, 0);
    EXPECT_LT(mask, etl);
    for (const char *flag : {"--unshare-user", "--unshare-pid", "--die-with-parent"})
        EXPECT_TRUE(args.contains(flag)) << flag;
    EXPECT_GE(indexOf(args, {"--cap-drop", "ALL"}), 0);
    EXPECT_GE(indexOf(args, {"--tmpfs", "/tmp"}), 0);
}

TEST(SandboxTest, APodsWorkingDirIsTheEtlFolder)
{
    FakeVenv f;
    Sandbox sandbox;
    const QStringList args = sandbox.bwrapArguments({"/usr/bin/python3", {}, f.etlDir, "/app", {}});
    EXPECT_GE(indexOf(args, {"--bind", f.etlDir, "/app"}), 0);
    EXPECT_GE(indexOf(args, {"--chdir", "/app"}), 0);
}

TEST(SandboxTest, OnlyAnEtlThatReadsObjectFilesSeesTheMountpathsReadOnly)
{
    FakeVenv f;
    const QString mp = f.dir.path() + "/data/mp1";
    QDir().mkpath(mp);
    Sandbox sandbox({true, "bwrap", {f.dir.path() + "/data", mp}, {mp}});
    SandboxJob job{"/usr/bin/python3", {}, f.etlDir, {}, {}};
    EXPECT_EQ(sandbox.bwrapArguments(job).count(mp), 0);
    job.readsObjectFiles = true;
    const QStringList args = sandbox.bwrapArguments(job);
    EXPECT_GE(indexOf(args, {"--ro-bind-try", mp, mp}), 0);
    EXPECT_EQ(indexOf(args, {"--bind", mp, mp}), -1);
}

TEST(SandboxTest, WithoutBubblewrapItSaysHowToGetIt)
{
    Sandbox sandbox({true, "kiln-no-such-bwrap", {}});
    const auto cmd = sandbox.wrap({"/usr/bin/python3", {}, "/tmp", {}, {}});
    ASSERT_FALSE(cmd);
    EXPECT_TRUE(cmd.error().message.contains("apt-get install bubblewrap"));
    EXPECT_TRUE(cmd.error().message.contains("etl.sandbox: false"));
}

// What the code inside sees, for real, under bwrap: who it is, what it can read and write.
TEST(SandboxTest, TheCodeInsideSeesOnlyWhatItIsGiven)
{
    const QString python = QStandardPaths::findExecutable("python3");
    if (QStandardPaths::findExecutable("bwrap").isEmpty() || python.isEmpty())
        GTEST_SKIP() << "bwrap or python3 is not installed";
    FakeVenv f;
    const QString outside = f.dir.path() + "/target-data/obj";
    writeFile(outside, "object bytes");
    writeFile(f.venv + "/node.key", "signing key");
    const char *probe = R"(
import json, os, sys
def attempt(f):
    try:
        return f()
    except OSError as e:
        return type(e).__name__
out = {"uid": os.getuid(),
       "outside": attempt(lambda: open(sys.argv[1]).read()),
       "hidden": attempt(lambda: open(sys.argv[2]).read()),
       "usr": attempt(lambda: open("/usr/kiln-escape", "w").write("x")),
       "own": attempt(lambda: open("mine.txt", "w").write("ok"))}
print(json.dumps(out))
)";
    Sandbox sandbox({true, "bwrap", {f.venv + "/node.key", f.dir.path() + "/target-data"}});
    const auto cmd = sandbox.wrap(
        {python, {"-c", probe, outside, f.venv + "/node.key"}, f.etlDir, {}, f.venv});
    ASSERT_TRUE(cmd) << cmd.error().message.toStdString();
    QProcess p;
    p.setWorkingDirectory(cmd->hostWorkingDir);
    p.start(cmd->program, cmd->arguments);
    ASSERT_TRUE(p.waitForFinished(30000));
    const QByteArray out = p.readAllStandardOutput();
    ASSERT_EQ(p.exitCode(), 0) << out.toStdString() << p.readAllStandardError().toStdString();
    const QJsonObject seen = QJsonDocument::fromJson(out).object();
    EXPECT_EQ(seen.value("uid").toInt(), 65534);
    EXPECT_EQ(seen.value("outside").toString(), "FileNotFoundError");
    EXPECT_EQ(seen.value("hidden").toString(), "PermissionError"); // /dev/null in its place
    EXPECT_TRUE(seen.value("usr").toString().endsWith("Error")) << out.toStdString();
    EXPECT_EQ(seen.value("own").toInt(), 2);
    EXPECT_TRUE(QFile::exists(f.etlDir + "/mine.txt"));
    EXPECT_FALSE(QFile::exists("/usr/kiln-escape"));
}

TEST(SandboxTest, TheMemoryLimitStopsAnAllocationBeyondIt)
{
    const QString python = QStandardPaths::findExecutable("python3");
    if (python.isEmpty())
        GTEST_SKIP() << "python3 is not installed";
    QProcess p;
    p.setChildProcessModifier([] { applyMemoryLimit(qint64(256) << 20); });
    p.start(python, {"-c", "b = bytearray(1 << 30)\nprint('allocated')"});
    ASSERT_TRUE(p.waitForFinished(30000));
    EXPECT_NE(p.exitCode(), 0);
    EXPECT_TRUE(p.readAllStandardError().contains("MemoryError"));
    EXPECT_FALSE(p.readAllStandardOutput().contains("allocated"));
}
