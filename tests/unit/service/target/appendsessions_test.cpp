#include "service/target/appendsessions.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "tests/unit/support/randombytes.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace Kiln::Target {
namespace {

using Kiln::Test::randomBytes;
using Kiln::Test::waitUntil;

QString xxhashOf(const QByteArray &bytes)
{
    return QString::asprintf(
        "%016llx",
        static_cast<unsigned long long>(XXH64(bytes.constData(), size_t(bytes.size()), 0)));
}

class AppendSessionsTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_store = std::make_unique<ObjectStore>(QStringList{m_dir.filePath("mp1")});
        ASSERT_TRUE(m_store->open());
        ASSERT_TRUE(m_store->createBucket("b"));
        m_sessions = std::make_unique<AppendSessions>(*m_store, m_self);
    }

    // Appends one part at the session's end, as AppendRoutes does for a request body.
    void appendPart(AppendSession *s, const QByteArray &part)
    {
        ASSERT_TRUE(s->writer->writeAt(s->writer->bytesWritten(), part.constData(), part.size()));
    }

    Result<ObjectInfo> flush(AppendSession *s, const ExpectedChecksum &expected = {})
    {
        auto outcome = std::make_shared<std::optional<Result<ObjectInfo>>>();
        m_sessions->flush(s, expected,
                          [outcome](const Result<ObjectInfo> &info) { *outcome = info; });
        EXPECT_TRUE(waitUntil([&] { return outcome->has_value(); }, 20000));
        return outcome->value_or(makeError(ErrorCode::Internal, "the flush never ended"));
    }

    QByteArray content(const QString &name)
    {
        auto info = m_store->stat("b", name);
        if (!info)
            return "<missing>";
        QFile f(info->path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>");
    }

    QTemporaryDir m_dir;
    Cluster::Snode m_self = Cluster::Snode::make("t1", Cluster::NodeType::Target, "127.0.0.1", 1);
    std::unique_ptr<ObjectStore> m_store;
    std::unique_ptr<AppendSessions> m_sessions;
};

TEST_F(AppendSessionsTest, PartsBecomeTheObjectOnlyAtTheFlush)
{
    auto s = m_sessions->open("b", "o", {});
    ASSERT_TRUE(s);
    const QByteArray a = randomBytes(4000, 1), b = randomBytes(100000, 2);
    appendPart(*s, a);
    const QString handle = m_sessions->handleOf(**s);
    EXPECT_TRUE(handle.startsWith("t1|"));
    EXPECT_EQ(handle.split('|').size(), 4);
    auto again = m_sessions->open("b", "o", handle);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *s);
    appendPart(*again, b);
    EXPECT_FALSE(m_store->stat("b", "o"));
    auto info = flush(*s, {"xxhash2", xxhashOf(a + b)});
    ASSERT_TRUE(info) << info.error().message.toStdString();
    EXPECT_EQ(content("o"), a + b);
    EXPECT_EQ(info->checksum, xxhashOf(a + b));
    EXPECT_FALSE(m_sessions->open("b", "o", handle)); // the session ended
}

TEST_F(AppendSessionsTest, AnExistingObjectIsContinued)
{
    const QByteArray old = randomBytes(3 * 1024 * 1024, 3), more = randomBytes(1000, 4);
    auto w = m_store->beginWrite("b", "o");
    ASSERT_TRUE(w && (*w)->write(old.constData(), old.size()));
    ASSERT_TRUE((*w)->commitNow());
    auto s = m_sessions->open("b", "o", {});
    ASSERT_TRUE(s);
    appendPart(*s, more); // lands after the old bytes while they are copied in
    auto info = flush(*s);
    ASSERT_TRUE(info);
    EXPECT_EQ(content("o"), old + more);
    EXPECT_EQ(info->version, "2");
}

TEST_F(AppendSessionsTest, AChecksumMismatchKeepsTheSessionAndTheObject)
{
    auto s = m_sessions->open("b", "o", {});
    ASSERT_TRUE(s);
    appendPart(*s, "data");
    auto bad = flush(*s, {"xxhash2", xxhashOf("other")});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message,
              QStringLiteral("BAD DATA CHECKSUM: xxhash2(%1 != %2)")
                  .arg(xxhashOf("data"), xxhashOf("other")));
    const QString md5
        = QString::fromLatin1(QCryptographicHash::hash("data", QCryptographicHash::Md5).toHex());
    EXPECT_FALSE(flush(*s, {"md5", md5}));
    EXPECT_FALSE(m_store->stat("b", "o"));
    ASSERT_TRUE(flush(*s, {"xxhash2", xxhashOf("data")}));
    EXPECT_EQ(content("o"), "data");
}

TEST_F(AppendSessionsTest, HandlesAreCheckedAndDroppedSessionsAreGone)
{
    auto s = m_sessions->open("b", "o", {});
    ASSERT_TRUE(s);
    const QString handle = m_sessions->handleOf(**s);
    EXPECT_EQ(m_sessions->open("b", "o", "garbage").error().message,
              "invalid APPEND handle: \"garbage\"");
    EXPECT_TRUE(m_sessions->open("b", "other", handle).error().message.contains("belongs to"));
    QString foreign = handle;
    foreign.replace(0, 2, "t9");
    EXPECT_TRUE(m_sessions->open("b", "o", foreign).error().message.contains("unknown"));
    (*s)->busy = true;
    EXPECT_EQ(m_sessions->open("b", "o", handle).error().code, ErrorCode::Conflict);
    (*s)->busy = false;
    m_sessions->drop((*s)->token);
    EXPECT_FALSE(m_sessions->open("b", "o", handle));
    EXPECT_TRUE(QDir(m_dir.filePath("mp1/tmp")).isEmpty());
}

} // namespace
} // namespace Kiln::Target
