#include "service/proxy/etlservice.h"

#include "shared/api/json.h"
#include "shared/core/fileutil.h"
#include "tests/unit/service/proxy/faketarget.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTemporaryDir>

#include <memory>
#include <optional>

using Kiln::Test::waitUntil;

namespace Kiln::Proxy::Tests {
namespace {

Etl::InitMsg initMsg(const QString &name)
{
    const QJsonObject json{{"name", name},
                           {"communication", "hpush://"},
                           {"runtime", QJsonObject{{"image", "python:3"}}}};
    return Etl::InitMsg::fromJson(QJsonDocument(json).toJson()).value();
}

// What the service saved in <dir>/etlmd.json, read back independently of the service.
Etl::EtlMd savedMd(const QString &dir)
{
    const auto bytes = readWholeFile(dir + "/etlmd.json");
    EXPECT_TRUE(bytes.hasValue());
    if (!bytes)
        return {};
    const auto json = Api::parseObject(*bytes, "etlmd");
    return Etl::EtlMd::fromJson(*json).value();
}

class EtlServiceTest : public testing::Test
{
protected:
    void SetUp() override
    {
        for (const char *id : {"t1", "t2", "t3"}) {
            m_targets.push_back(std::make_unique<FakeTarget>(QString::fromLatin1(id)));
            m_smap.upsertTarget(m_targets.back()->node());
        }
        m_service = std::make_unique<EtlService>(m_nam, m_smap, m_dir.path());
        m_service->setNodeTag(QStringLiteral("p[test]"));
    }

    // Runs init and serves the event loop until it answers.
    Result<QString> init(const QString &name)
    {
        std::optional<Result<QString>> answer;
        m_service->init(initMsg(name), [&](Result<QString> r) { answer = std::move(r); });
        EXPECT_TRUE(waitUntil([&] { return answer.has_value(); }, 20000));
        return answer.value_or(Result<QString>(Error{}));
    }

    QTemporaryDir m_dir;
    QNetworkAccessManager m_nam;
    Cluster::Smap m_smap;
    std::vector<std::unique_ptr<FakeTarget>> m_targets;
    std::unique_ptr<EtlService> m_service;
};

TEST_F(EtlServiceTest, CommitsOnEveryTargetWhenAllAreReady)
{
    const auto xid = init("echo-etl");
    ASSERT_TRUE(xid) << xid.error().message.toStdString();
    for (const auto &t : m_targets) {
        EXPECT_TRUE(t->called("POST /v1/etl/_begin"));
        EXPECT_TRUE(t->called("POST /v1/etl/echo-etl/_commit"));
        EXPECT_FALSE(t->called("POST /v1/etl/echo-etl/_abort"));
    }
    EXPECT_EQ(m_service->md().find("echo-etl")->stage, Etl::Stage::Running);
    m_service->waitForSaved();
    const Etl::EtlMd saved = savedMd(m_dir.path());
    ASSERT_NE(saved.find("echo-etl"), nullptr);
    EXPECT_EQ(saved.find("echo-etl")->stage, Etl::Stage::Running);
    EXPECT_EQ(saved.find("echo-etl")->xid, *xid);
}

TEST_F(EtlServiceTest, OneFailedTargetAbortsTheOthersAndNothingRuns)
{
    const QString why = QStringLiteral("spec (line 3): no such image");
    m_targets[1]->failBegin(why);
    const auto xid = init("echo-etl");
    ASSERT_FALSE(xid);
    EXPECT_EQ(xid.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(xid.error().message, why);
    for (const auto &t : m_targets) {
        EXPECT_TRUE(t->called("POST /v1/etl/echo-etl/_abort"));
        EXPECT_FALSE(t->called("POST /v1/etl/echo-etl/_commit"));
    }
    const Etl::EtlRecord *r = m_service->md().find("echo-etl");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->stage, Etl::Stage::Aborted);
    EXPECT_EQ(r->targetErrors.value("t2"), why);
    // Nothing runs after a restart: what is on disk is the aborted ETL, never a running one.
    m_service->waitForSaved();
    const Etl::EtlMd saved = savedMd(m_dir.path());
    ASSERT_NE(saved.find("echo-etl"), nullptr);
    EXPECT_EQ(saved.find("echo-etl")->stage, Etl::Stage::Aborted);
    EXPECT_EQ(saved.find("echo-etl")->error, why);
}

TEST_F(EtlServiceTest, AReloadedServiceHasWhatWasSaved)
{
    const auto xid = init("echo-etl");
    ASSERT_TRUE(xid);
    std::optional<Result<void>> stopped;
    m_service->stop("echo-etl", [&](Result<void> r) { stopped = std::move(r); });
    ASSERT_TRUE(waitUntil([&] { return stopped.has_value(); }, 20000));
    ASSERT_TRUE(*stopped);
    ASSERT_TRUE(init("other-etl"));
    m_service->waitForSaved();

    EtlService reloaded(m_nam, m_smap, m_dir.path());
    ASSERT_TRUE(reloaded.load());
    ASSERT_NE(reloaded.md().find("echo-etl"), nullptr);
    EXPECT_EQ(reloaded.md().find("echo-etl")->stage, Etl::Stage::Aborted);
    EXPECT_EQ(reloaded.md().find("echo-etl")->xid, *xid);
    EXPECT_EQ(reloaded.md().find("other-etl")->stage, Etl::Stage::Running);
}

TEST_F(EtlServiceTest, AnInitCutShortByARestartLoadsAsAborted)
{
    Etl::EtlMd md;
    Etl::EtlRecord record;
    record.msg = initMsg("half-etl");
    record.stage = Etl::Stage::Initializing;
    record.xid = QStringLiteral("etl-abc");
    md.put(record);
    ASSERT_TRUE(writeFileAtomically(m_dir.filePath("etlmd.json"), Api::compact(md.toJson())));

    ASSERT_TRUE(m_service->load());
    const Etl::EtlRecord *r = m_service->md().find("half-etl");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->stage, Etl::Stage::Aborted);
    EXPECT_FALSE(r->error.isEmpty());
}

TEST_F(EtlServiceTest, UnknownAndBadNamesAreRefused)
{
    const auto missing = m_service->find("no-such-etl");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    EXPECT_TRUE(missing.error().message.contains("no-such-etl"));
    const auto bad = m_service->find("9bad");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
}

TEST_F(EtlServiceTest, ASecondInitOfTheSameNameIsAlreadyExists)
{
    ASSERT_TRUE(init("echo-etl"));
    const auto again = init("echo-etl");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
}

} // namespace
} // namespace Kiln::Proxy::Tests
