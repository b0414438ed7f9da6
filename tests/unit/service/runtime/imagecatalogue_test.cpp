#include "service/runtime/imagecatalogue.h"
#include "service/runtime/launchplan.h"
#include "shared/api/json.h"
#include "tests/unit/service/runtime/instancespecs.h"

#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonObject>

namespace Kiln::Runtime {
namespace {

using Tests::specFor;

ImageCatalogue stockCatalogue()
{
    auto stock = ImageCatalogue::stock();
    EXPECT_TRUE(stock) << stock.error().message.toStdString();
    return stock ? *stock : ImageCatalogue();
}

TEST(ImageCatalogueTest, NormalizesRegistryDefaultsAndTags)
{
    EXPECT_EQ(normalizeImage("docker.io/library/python:3"), "python:3");
    EXPECT_EQ(normalizeImage("aistorage/transformer_md5"), "aistorage/transformer_md5:latest");
    EXPECT_EQ(normalizeImage("registry:5000/team/x"), "registry:5000/team/x:latest");
    EXPECT_EQ(normalizeImage("team/x@sha256:abcd"), "team/x:latest");
}

TEST(ImageCatalogueTest, StockImagesMatchAnyTagButNotTheirNeighbours)
{
    const ImageCatalogue c = stockCatalogue();
    ASSERT_EQ(c.rules().size(), 7);
    const ImageRule *md5 = c.find("aistorage/transformer_md5:latest");
    ASSERT_NE(md5, nullptr);
    EXPECT_EQ(md5->implementation, "md5");
    EXPECT_EQ(c.find("docker.io/aistorage/transformer_md5:v1.2")->implementation, "md5");
    EXPECT_EQ(c.find("aistorage/transformer_echo_go")->implementation, "echo");
    EXPECT_EQ(c.find("aistorage/transformer_hello_world_go:latest")->implementation, "hello_world");
    EXPECT_EQ(c.find("aistorage/transformer_md5_extra"), nullptr);
    EXPECT_EQ(c.find("aistorage/transformer_tar2tf:latest"), nullptr);
    EXPECT_EQ(c.find("nginx"), nullptr);
}

TEST(ImageCatalogueTest, UserRulesComeFirstAndTakeGlobs)
{
    ImageCatalogue c = stockCatalogue();
    ImageRule team{"team/*:v2", "config", {}, {}, {"python3", "srv.py"}, {}};
    ImageRule md5{"aistorage/transformer_md5", "config", {}, {}, {"my-md5"}, {}};
    c.prependRules({team, md5});
    EXPECT_EQ(c.find("team/tokenizer:v2")->command, QStringList({"python3", "srv.py"}));
    EXPECT_EQ(c.find("team/deep/tokenizer:v2")->origin, "config");
    EXPECT_EQ(c.find("team/tokenizer:v3"), nullptr);
    EXPECT_EQ(c.find("aistorage/transformer_md5:1")->command, QStringList({"my-md5"}));
}

TEST(ImageCatalogueTest, StockImageAcceptsTheCommandsOfItsServer)
{
    const ImageCatalogue c = stockCatalogue();
    const ImageRule *md5 = c.find("aistorage/transformer_md5");
    EXPECT_TRUE(md5->acceptsCommand({}));
    EXPECT_TRUE(md5->acceptsCommand({"uvicorn", "fastapi_server:fastapi_app", "--port", "8000"}));
    EXPECT_TRUE(md5->acceptsCommand({"/code/server.py", "--port", "80"}));
    EXPECT_FALSE(md5->acceptsCommand({"nginx", "-g", "daemon off;"}));
    const ImageRule *echoGo = c.find("aistorage/transformer_echo_go");
    EXPECT_TRUE(echoGo->acceptsCommand({"./echo", "-l", "0.0.0.0", "-p", "80"}));
    EXPECT_FALSE(echoGo->acceptsCommand({"uvicorn", "fastapi_server:fastapi_app"}));
}

TEST(ImageCatalogueTest, ReadsWorkersFromTheCommand)
{
    EXPECT_EQ(commandWorkers({"uvicorn", "app", "--workers", "4"}), 4);
    EXPECT_EQ(commandWorkers({"gunicorn", "main:app", "-w", "3"}), 3);
    EXPECT_EQ(commandWorkers({"uvicorn", "app", "--workers=2"}), 2);
    EXPECT_EQ(commandWorkers({"./echo", "-p", "80"}), 1);
    EXPECT_EQ(commandWorkers({"uvicorn", "app", "--workers", "many"}), 1);
}

TEST(ImageCatalogueTest, PlansStockImageAsTheImageServer)
{
    const ImageCatalogue c = stockCatalogue();
    const auto plan = planLocalLaunch(
        specFor(QJsonObject{
            {"name", "hash-etl"},
            {"runtime",
             QJsonObject{
                 {"image", "aistorage/transformer_hash_with_args:latest"},
                 {"command",
                  QJsonArray{"uvicorn", "fastapi_server:fastapi_app", "--host", "0.0.0.0", "--port",
                             "8000", "--workers", "4"}},
                 {"env", QJsonArray{QJsonObject{{"name", "SEED_DEFAULT"}, {"value", "7"}}}}}}}),
        41500, "python3", &c);
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_EQ(plan->program, "python3");
    EXPECT_EQ(plan->arguments, QStringList({"/tmp/kiln-work/kiln_image_server.py"}));
    ASSERT_EQ(plan->files.size(), 1);
    EXPECT_TRUE(plan->files[0].second.contains("def hash_with_args"));
    EXPECT_EQ(plan->environment.value("KILN_IMAGE_IMPL"), "hash_with_args");
    EXPECT_EQ(plan->environment.value("KILN_WORKERS"), "4");
    EXPECT_EQ(plan->environment.value("SEED_DEFAULT"), "7");
    EXPECT_EQ(plan->environment.value("PORT"), "41500");
    EXPECT_EQ(plan->probePath, "/health");
}

TEST(ImageCatalogueTest, RefusesAStockImageWithAForeignCommand)
{
    const ImageCatalogue c = stockCatalogue();
    const auto plan = planLocalLaunch(
        specFor(QJsonObject{{"name", "md5-etl"},
                            {"runtime",
                             QJsonObject{{"image", "aistorage/transformer_md5"},
                                         {"command", QJsonArray{"nginx", "-g", "daemon off;"}}}}}),
        41500, "python3", &c);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(plan.error().message.contains("nginx")) << plan.error().message.toStdString();
}

TEST(ImageCatalogueTest, PlansUserMappingWithPortSubstitution)
{
    ImageCatalogue c = stockCatalogue();
    c.prependRules({ImageRule{"team/upper",
                              "config",
                              {},
                              {},
                              {"python3", "/srv/upper.py", "--port", "$(PORT)", "$(GREETING)"},
                              {}}});
    const auto plan = planLocalLaunch(
        specFor(QJsonObject{
            {"name", "upper-etl"},
            {"runtime",
             QJsonObject{
                 {"image", "team/upper:1.0"},
                 {"env", QJsonArray{QJsonObject{{"name", "GREETING"}, {"value", "hi"}}}}}}}),
        41600, "python3", &c);
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_EQ(plan->program, "python3");
    EXPECT_EQ(plan->arguments, QStringList({"/srv/upper.py", "--port", "41600", "hi"}));
    EXPECT_EQ(plan->environment.value("KILN_IMAGE"), "team/upper:1.0");
    EXPECT_TRUE(hasLocalWay(specFor(QJsonObject{{"name", "upper-etl"},
                                                {"runtime", QJsonObject{{"image", "team/upper"}}}}),
                            &c));
    EXPECT_FALSE(hasLocalWay(
        specFor(QJsonObject{{"name", "other-etl"}, {"runtime", QJsonObject{{"image", "team/x"}}}}),
        &c));
}

} // namespace
} // namespace Kiln::Runtime
