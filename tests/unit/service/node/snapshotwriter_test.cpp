#include "service/node/snapshotwriter.h"

#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QThread>

using Kiln::Node::SnapshotWriter;
using Kiln::Test::waitUntil;

namespace {
QByteArray contentOf(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}
} // namespace

TEST(SnapshotWriter, SavesOffTheCallersThreadAndAnswersOnIt)
{
    QTemporaryDir dir;
    SnapshotWriter writer(dir.filePath("md.json"));
    bool answered = false;
    QThread *answeredOn = nullptr;
    writer.save("{\"v\":1}", [&](const Kiln::Result<void> &r) {
        EXPECT_TRUE(r.hasValue());
        answered = true;
        answeredOn = QThread::currentThread();
    });
    EXPECT_FALSE(answered); // never inline: the caller's event loop delivers it
    ASSERT_TRUE(waitUntil([&] { return answered; }));
    EXPECT_EQ(answeredOn, QThread::currentThread());
    EXPECT_EQ(contentOf(writer.path()), "{\"v\":1}");
}

TEST(SnapshotWriter, TheLastSaveWinsAndEveryCallerHearsBack)
{
    QTemporaryDir dir;
    SnapshotWriter writer(dir.filePath("md.json"));
    constexpr int saves = 200;
    int answers = 0;
    for (int i = 1; i <= saves; ++i)
        writer.save(QByteArray::number(i), [&](const Kiln::Result<void> &r) {
            EXPECT_TRUE(r.hasValue());
            ++answers;
        });
    ASSERT_TRUE(waitUntil([&] { return answers == saves; }));
    EXPECT_EQ(contentOf(writer.path()), QByteArray::number(saves));
}

TEST(SnapshotWriter, AFailedWriteIsReportedAndLeavesWhatWasThere)
{
    QTemporaryDir dir;
    // A folder stands where the file should go: the rename onto it fails.
    const QString path = dir.filePath("md.json");
    ASSERT_TRUE(QDir().mkpath(path + "/inside"));
    SnapshotWriter writer(path);
    std::optional<Kiln::Result<void>> got;
    writer.save("new", [&](const Kiln::Result<void> &r) { got = r; });
    ASSERT_TRUE(waitUntil([&] { return got.has_value(); }));
    EXPECT_FALSE(got->hasValue());
    EXPECT_TRUE(QFileInfo(path + "/inside").isDir());
}

TEST(SnapshotWriter, DestructionWaitsForTheWriteUnderWay)
{
    QTemporaryDir dir;
    const QString path = dir.filePath("md.json");
    {
        SnapshotWriter writer(path);
        writer.save(QByteArray(1 << 20, 'x'));
    }
    EXPECT_EQ(contentOf(path).size(), 1 << 20);
}
