#include "shared/api/etlwire.h"

#include <gtest/gtest.h>

#include <QJsonDocument>

using namespace Kiln;
using namespace Kiln::Api;

namespace {

QJsonArray arrayOf(const QByteArray &encoded)
{
    return QJsonDocument::fromJson(encoded).array();
}

QJsonObject objectOf(const QByteArray &encoded)
{
    return QJsonDocument::fromJson(encoded).object();
}

} // namespace

TEST(EtlWire, SummariesRoundTrip)
{
    const QList<EtlSummary> list{
        {"echo-etl", Etl::Stage::Running, "etl-abc", 12, 3400, 5600},
        {"md5-etl", Etl::Stage::Aborted, "etl-def", 0, 0, 0},
    };
    EXPECT_EQ(decodeEtlSummaries(arrayOf(encodeEtlSummaries(list))), list);
}

TEST(EtlWire, DecodesAnAisShapedSummaryWithGoStringIntegers)
{
    // AIS's etl.Info as its proxy sends it; Go may encode int64 counters as strings.
    const qint64 objs = 7, in = 1 << 20, out = 3 << 19;
    const QJsonArray sample{QJsonObject{{"id", "hello-etl"},
                                        {"stage", "Running"},
                                        {"xaction_id", "Ab12"},
                                        {"obj_count", QString::number(objs)},
                                        {"in_bytes", in},
                                        {"out_bytes", QString::number(out)}}};
    const QList<EtlSummary> decoded = decodeEtlSummaries(sample);
    ASSERT_EQ(decoded.size(), 1);
    EXPECT_EQ(decoded[0], (EtlSummary{"hello-etl", Etl::Stage::Running, "Ab12", objs, in, out}));
}

TEST(EtlWire, DetailsRoundTripWithAndWithoutAnXaction)
{
    EtlDetails d;
    d.initMsg = QJsonObject{{"name", "echo-etl"}, {"communication", "hpush://"}};
    d.stage = Etl::Stage::Aborted;
    d.xactionId = QStringLiteral("etl-x");
    d.error = QStringLiteral("target t1: crashed");
    d.objErrors = {{"ais://b/o1", "boom", 500}, {"ais://b/o2", "object not found", 202}};
    d.targetErrors = {{"t1", "crashed"}};
    EXPECT_EQ(decodeEtlDetails(objectOf(encodeEtlDetails(d))), d);

    EtlDetails job; // one offline job's errors: no xaction id, no error
    job.initMsg = d.initMsg;
    job.stage = Etl::Stage::Running;
    job.objErrors = d.objErrors;
    const QJsonObject encoded = objectOf(encodeEtlDetails(job));
    EXPECT_FALSE(encoded.contains(EtlKey::XactionId));
    EXPECT_FALSE(encoded.contains(EtlKey::Error));
    EXPECT_EQ(decodeEtlDetails(encoded), job);
}

TEST(EtlWire, DecodesAnAisShapedDetails)
{
    const QJsonObject initMsg{{"name", "x-etl"}, {"communication", "hpull://"}};
    const QJsonObject sample{
        {"init_msg", initMsg},
        {"stage", "Aborted"},
        {"obj_errors",
         QJsonArray{QJsonObject{{"obj_name", "ais://src/a.txt"}, {"msg", "bad"}, {"ecode", 400}}}}};
    const EtlDetails d = decodeEtlDetails(sample);
    EXPECT_EQ(d.initMsg, initMsg);
    EXPECT_EQ(d.stage, Etl::Stage::Aborted);
    EXPECT_FALSE(d.xactionId.has_value());
    ASSERT_EQ(d.objErrors.size(), 1);
    EXPECT_EQ(d.objErrors[0], (ObjError{"ais://src/a.txt", "bad", 400}));
    EXPECT_EQ(d.objErrors[0].describe(), QStringLiteral("ais://src/a.txt: bad"));
}

TEST(EtlWire, HealthRoundTrip)
{
    const QList<TargetHealth> list{{"t1", "Running"}, {"t2", "Unreachable"}};
    EXPECT_EQ(decodeTargetHealth(arrayOf(encodeTargetHealth(list))), list);
}

TEST(EtlWire, MetricsRoundTripAndATargetWithoutAnswerHasNoLimits)
{
    const QList<TargetMetrics> list{
        {"t1", 0.5, 1 << 20, 2.0, qint64(1) << 30, true, {}},
        {"t2", 0, 0, 0, 0, false, "connection refused"},
    };
    const QJsonArray encoded = arrayOf(encodeTargetMetrics(list));
    EXPECT_FALSE(encoded[1].toObject().contains(EtlKey::CpuLimit));
    EXPECT_EQ(decodeTargetMetrics(encoded), list);
    const EtlUsage usage{1.25, 4096, 0, 8192};
    EXPECT_EQ(decodeEtlUsage(objectOf(encodeEtlUsage(usage))), usage);
}

TEST(EtlWire, LogsRoundTripAsBase64)
{
    const QList<TargetLog> list{{"t1", QByteArray("line 1\nline 2\n\xff", 15), {}},
                                {"t2", {}, "the log API refused"}};
    const QJsonArray encoded = arrayOf(encodeTargetLogs(list));
    EXPECT_EQ(encoded[0].toObject().value(EtlKey::Logs).toString(),
              QString::fromLatin1(list[0].text.toBase64()));
    EXPECT_EQ(decodeTargetLogs(encoded), list);
}

TEST(EtlWire, TargetMessagesRoundTrip)
{
    const QList<TargetEtlStat> stats{
        {{"echo-etl", Etl::Stage::Running, "etl-1", 3, 30, 60}, {}, {101, 102}}};
    EXPECT_EQ(decodeTargetEtlStats(arrayOf(encodeTargetEtlStats(stats))), stats);
    const TargetEtlDetails details{Etl::Stage::Aborted, "exited", {{"ais://b/o", "x", 500}}};
    EXPECT_EQ(decodeTargetEtlDetails(objectOf(encodeTargetEtlDetails(details))), details);
    const EtlFailureReport report{"t3", "etl-9", "instance exited with 1"};
    EXPECT_EQ(decodeEtlFailureReport(objectOf(encodeEtlFailureReport(report))), report);
}

TEST(EtlWire, PathsAreBuiltFromTheWireNames)
{
    EXPECT_EQ(etlPath(), QStringLiteral("/v1/etl"));
    EXPECT_EQ(etlPath("echo-etl"), QStringLiteral("/v1/etl/echo-etl"));
    EXPECT_EQ(etlPath("echo-etl", "logs/t1"), QStringLiteral("/v1/etl/echo-etl/logs/t1"));
}
