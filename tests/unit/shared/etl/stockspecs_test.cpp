// The stock ais-etl pod specs (tests/data/ais-etl, copied unchanged from NVIDIA/ais-etl) go
// through InitMsg the way the `ais` CLI sends them: the spec base64-encoded, the name from the
// pod's metadata, the comm type from --comm-type (the annotation holds a shell placeholder the
// CLI cannot use), the timeouts and direct put as the CLI takes them from the annotations.
#include "shared/api/json.h"
#include "shared/etl/initmsg.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QJsonObject>

namespace Kiln::Etl {
namespace {

using namespace std::chrono_literals;

QByteArray stockFile(const QString &dir, const QString &file)
{
    QFile f(QStringLiteral(KILN_STOCK_SPECS_DIR "/%1/%2").arg(dir, file));
    EXPECT_TRUE(f.open(QIODevice::ReadOnly)) << f.fileName().toStdString();
    return f.readAll();
}

QStringList podSpecDirs()
{
    QStringList dirs;
    const QDir root(QStringLiteral(KILN_STOCK_SPECS_DIR));
    for (const QString &d : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (QFile::exists(root.filePath(d + "/pod.yaml")))
            dirs.append(d);
    }
    return dirs;
}

Result<InitMsg> initAsTheCliDoes(const QByteArray &yaml, const QString &comm)
{
    QJsonObject msg{{"spec", QString::fromLatin1(yaml.toBase64())}};
    if (!comm.isEmpty())
        msg.insert("communication", comm);
    return InitMsg::fromJson(Api::compact(msg));
}

TEST(StockSpecsTest, EveryCatalogueImageHasItsSpecsHere)
{
    // echo ships only an etl_spec.yaml; the other six images have both forms.
    EXPECT_EQ(podSpecDirs(),
              QStringList({"compress", "go_echo", "go_hello_world", "hash_with_args", "hello_world",
                           "md5"}));
}

TEST(StockSpecsTest, RequestCommTypeOverridesThePlaceholderAnnotation)
{
    for (const QString &dir : podSpecDirs()) {
        const QByteArray yaml = stockFile(dir, "pod.yaml");
        for (const QString &comm : {QStringLiteral("hpush://"), QStringLiteral("hpull://")}) {
            const auto msg = initAsTheCliDoes(yaml, comm);
            ASSERT_TRUE(msg) << dir.toStdString() << ": " << msg.error().message.toStdString();
            EXPECT_EQ(commTypeName(msg->comm), comm) << dir.toStdString();
            EXPECT_FALSE(msg->name.isEmpty()) << dir.toStdString(); // metadata.name
            EXPECT_EQ(msg->initTimeout, 5min) << dir.toStdString(); // wait_timeout: 5m
        }
    }
}

TEST(StockSpecsTest, DirectPutAnnotationDecidesAsInAis)
{
    const auto md5 = initAsTheCliDoes(stockFile("md5", "pod.yaml"), "hpush://");
    ASSERT_TRUE(md5);
    EXPECT_TRUE(md5->supportDirectPut); // support_direct_put: "true"
    const auto hash = initAsTheCliDoes(stockFile("hash_with_args", "pod.yaml"), "hpush://");
    ASSERT_TRUE(hash);
    EXPECT_FALSE(hash->supportDirectPut); // no annotation
    // The annotation wins over the request's field, as AIS's InitSpecMsg.Validate has it.
    QByteArray yaml = stockFile("md5", "pod.yaml");
    yaml.replace("support_direct_put: \"true\"", "support_direct_put: \"off\"");
    const auto off
        = InitMsg::fromJson(Api::compact(QJsonObject{{"spec", QString::fromLatin1(yaml.toBase64())},
                                                     {"communication", "hpush://"},
                                                     {"support_direct_put", true}}));
    ASSERT_TRUE(off) << off.error().message.toStdString();
    EXPECT_FALSE(off->supportDirectPut);
}

TEST(StockSpecsTest, PlaceholderIsRejectedWhenItIsTheEffectiveCommType)
{
    // Without a comm type in the request the annotation would decide: its placeholder is no
    // comm type, and the error names the annotation.
    const auto msg = initAsTheCliDoes(stockFile("go_echo", "pod.yaml"), {});
    ASSERT_FALSE(msg);
    EXPECT_TRUE(msg.error().message.contains("metadata.annotations.communication_type"))
        << msg.error().message.toStdString();
    // hello_world's annotation is a real comm type and is taken.
    const auto hello = initAsTheCliDoes(stockFile("hello_world", "pod.yaml"), {});
    ASSERT_TRUE(hello) << hello.error().message.toStdString();
    EXPECT_EQ(hello->comm, CommType::Hpull);
}

TEST(StockSpecsTest, BadRequestCommTypeIsNamedBeforeTheSpec)
{
    const auto msg = initAsTheCliDoes(stockFile("md5", "pod.yaml"), "smtp://");
    ASSERT_FALSE(msg);
    EXPECT_TRUE(msg.error().message.contains("unknown comm-type \"smtp://\""))
        << msg.error().message.toStdString();
}

TEST(StockSpecsTest, ParsesBooleansAsAisDoes)
{
    for (const char *t : {"true", "y", "yes", "on", "1", "t", "T", "TRUE", "True"})
        EXPECT_EQ(parseAisBool(t), true) << t;
    for (const char *f : {"", "false", "n", "no", "off", "0", "f", "F", "FALSE", "False"})
        EXPECT_EQ(parseAisBool(f), false) << f;
    for (const char *bad : {"maybe", "Yes", "ON", "2"})
        EXPECT_FALSE(parseAisBool(bad)) << bad;
}

} // namespace
} // namespace Kiln::Etl
