#include "shared/api/jobwire.h"

#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonDocument>

using namespace Kiln;
using namespace Kiln::Api;

namespace {

QJsonObject parse(const char *json)
{
    return QJsonDocument::fromJson(json).object();
}

TEST(JobWire, SnapRoundTrips)
{
    const JobSnap snap{"Xj1", "etl-bck", true, "stopped by the user", "ais://b/o: bad", true,
                       1700000000123456789, JobCounters{1, 2, 3, 4, 5, 6}};
    EXPECT_EQ(decodeJobSnap(encodeJobSnap(snap)), snap);
}

// A target's snapshot as AIS spells it: counters tagged ",string", keys with dashes.
TEST(JobWire, SnapReadsTheAisSpelling)
{
    const JobSnap snap = decodeJobSnap(parse(R"({"id":"x1","kind":"etl-bck","aborted":false,
        "abort-err":"","err":"2 objects failed","is_idle":false,"end_ns":42,
        "stats":{"loc-objs":"7","loc-bytes":"700","out-objs":"3","out-bytes":"300",
                 "in-objs":"10","in-bytes":"1000"}})"));
    EXPECT_EQ(snap.id, QStringLiteral("x1"));
    EXPECT_EQ(snap.err, QStringLiteral("2 objects failed"));
    EXPECT_EQ(snap.endNs, 42);
    EXPECT_EQ(snap.counters, (JobCounters{7, 700, 3, 300, 10, 1000}));
    // The counters go out as strings, the way they came in.
    EXPECT_TRUE(encodeJobCounters(snap.counters).value("loc-objs").isString());
}

TEST(JobWire, StatusRoundTripsWithAndWithoutIdleness)
{
    JobStatus status{"etl-listrange", "Xj2", "boom", 99, true, true};
    EXPECT_EQ(decodeJobStatus(encodeJobStatus(status)), status);
    EXPECT_TRUE(encodeJobStatus(status).contains("is_idle"));
    status.idle.reset();
    EXPECT_FALSE(encodeJobStatus(status).contains("is_idle"));
    EXPECT_EQ(decodeJobStatus(encodeJobStatus(status)), status);
}

TEST(JobWire, StatusReadsTheProxyAnswer)
{
    const JobStatus s = decodeJobStatus(
        parse(R"({"kind":"etl-bck","uuid":"Xj3","err":"","end_time":"0","aborted":false})"));
    EXPECT_EQ(s.id, QStringLiteral("Xj3"));
    EXPECT_FALSE(s.finished());
    EXPECT_FALSE(s.idle.has_value());
    EXPECT_TRUE(decodeJobStatus(parse(R"({"end_time":5})")).finished());
}

TEST(JobWire, StatsSumEveryTargetsSnapshots)
{
    QJsonObject perTarget;
    perTarget.insert("t1",
                     QJsonArray{encodeJobSnap({"j", "k", false, {}, {}, false, 0,
                                               JobCounters{2, 20, 1, 10, 0, 0}})});
    perTarget.insert("t2",
                     QJsonArray{encodeJobSnap({"j", "k", false, {}, "o1: bad", false, 0,
                                               JobCounters{3, 30, 0, 0, 0, 0}}),
                                encodeJobSnap({"j", "k", false, {}, {}, false, 0,
                                               JobCounters{0, 0, 4, 40, 0, 0}})});
    const JobStats stats = decodeJobStats(perTarget);
    EXPECT_EQ(stats.objects, 2 + 1 + 3 + 4);
    EXPECT_EQ(stats.bytes, 20 + 10 + 30 + 40);
    EXPECT_EQ(stats.errors, 1);
    EXPECT_EQ(stats.errorMessages, QStringList{QStringLiteral("t2: o1: bad")});
    EXPECT_EQ(decodeJobStats({}).objects, 0);
}

TEST(JobWire, EndRoundTrips)
{
    const JobEnd end{"t[abc]", true};
    EXPECT_EQ(decodeJobEnd(encodeJobEnd(end)), end);
    EXPECT_EQ(encodeJobEnd(end).value("target").toString(), QStringLiteral("t[abc]"));
}

} // namespace
