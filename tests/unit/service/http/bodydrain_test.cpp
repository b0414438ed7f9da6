#include "service/http/bodydrain.h"
#include "service/http/bodysource.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QTimer>

#include <memory>
#include <optional>

namespace Kiln::Http {
namespace {

constexpr qint64 MiB = 1024 * 1024;

// Bytes in memory, always ready: the kind of source that would hold the thread if let.
class MemorySource final : public BodySource
{
public:
    explicit MemorySource(QByteArray bytes)
        : m_bytes(std::move(bytes))
    { }
    qint64 size() const override { return m_bytes.size(); }
    QByteArray read(qint64 maxBytes) override
    {
        const QByteArray out = m_bytes.mid(m_pos, maxBytes);
        m_pos += out.size();
        return out;
    }
    bool atEnd() const override { return m_pos >= m_bytes.size(); }

private:
    QByteArray m_bytes;
    qint64 m_pos = 0;
};

struct Report
{
    bool ok = false;
    QString error;
    int count = 0;
};

TEST(BodyDrain, PullsTheWholeBodyAndReportsOnce)
{
    QObject parent;
    QByteArray body(3 * MiB + 17, 'x');
    body[0] = 'a';
    body[body.size() - 1] = 'z';
    QByteArray sunk;
    Report report;
    new BodyDrain(
        std::make_unique<MemorySource>(body),
        [&sunk](const QByteArray &chunk) {
            EXPECT_LE(chunk.size(), MiB);
            sunk += chunk;
            return true;
        },
        [&report](bool ok, const QString &error) {
            report = {ok, error, report.count + 1};
        },
        &parent);
    EXPECT_EQ(report.count, 0); // never from inside the constructor
    ASSERT_TRUE(Kiln::Test::waitUntil([&] { return report.count > 0; }));
    EXPECT_TRUE(Kiln::Test::holdsFor([&] { return report.count == 1; }, 50));
    EXPECT_TRUE(report.ok) << report.error.toStdString();
    EXPECT_EQ(sunk, body);
    EXPECT_TRUE(parent.findChildren<BodyDrain *>().isEmpty()); // deleted itself
}

// A source that is always ready gives the event loop a turn every 16 chunks.
TEST(BodyDrain, YieldsToTheEventLoopOnALongBody)
{
    QObject parent;
    constexpr int Chunks = 40;
    int drained = 0;
    std::optional<int> drainedWhenTimerRan;
    bool done = false;
    new BodyDrain(
        std::make_unique<MemorySource>(QByteArray(Chunks * MiB, 'y')),
        [&](const QByteArray &) {
            if (++drained == 1)
                QTimer::singleShot(0, [&] { drainedWhenTimerRan = drained; });
            return true;
        },
        [&done](bool, const QString &) { done = true; },
        &parent);
    ASSERT_TRUE(Kiln::Test::waitUntil([&] { return done; }));
    EXPECT_EQ(drained, Chunks);
    ASSERT_TRUE(drainedWhenTimerRan.has_value());
    EXPECT_LT(*drainedWhenTimerRan, Chunks);
}

TEST(BodyDrain, ASinkThatRefusesEndsIt)
{
    QObject parent;
    int calls = 0;
    Report report;
    new BodyDrain(
        std::make_unique<MemorySource>(QByteArray(4 * MiB, 'z')),
        [&calls](const QByteArray &) { return ++calls < 2; },
        [&report](bool ok, const QString &error) { report = {ok, error, report.count + 1}; },
        &parent);
    ASSERT_TRUE(Kiln::Test::waitUntil([&] { return report.count > 0; }));
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.error, QStringLiteral("cannot write the body"));
    EXPECT_EQ(calls, 2);
}

} // namespace
} // namespace Kiln::Http
