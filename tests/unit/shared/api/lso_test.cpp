#include "shared/api/lso.h"
#include "shared/api/wire.h"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <QJsonArray>
#include <QJsonDocument>

#include <ctime>
#include <map>
#include <set>
#include <string>

namespace Kiln::Api {
namespace {

// 2021-01-02 03:04:05 UTC, a Saturday.
constexpr qint64 SaturdayNs = 1609556645LL * 1000000000 + 123456789;

LsoMsg requesting(const QString &props)
{
    Result<LsoMsg> msg = LsoMsg::fromJson(QJsonObject{{"props", props}});
    EXPECT_TRUE(msg);
    return *msg;
}

LsoEntry fullEntry(const QString &name, qint64 size)
{
    LsoEntry e;
    e.name = name;
    e.size = size;
    e.checksum = "0123456789abcdef";
    e.atimeNs = SaturdayNs;
    e.version = "3";
    e.location = "t[abc]:mp[/data/mp1]";
    e.flags = LsoEntry::FlagCached;
    return e;
}

LsoPage samplePage()
{
    LsoPage page;
    page.uuid = "list-uuid";
    page.continuationToken = "b/last";
    page.flags = 0;
    page.entries = {fullEntry("a/one", 5), fullEntry(QStringLiteral("b/zwei-ü"), 6000000000LL)};
    return page;
}

// The msgpack document decoded by msgpack-cxx, with map keys as strings. msgpack::object is a
// shallow view into the handle's zone: copies are cheap and valid while the Decoded lives.
class Decoded
{
public:
    explicit Decoded(const QByteArray &bytes)
        : m_handle(msgpack::unpack(bytes.constData(), size_t(bytes.size())))
    { }
    const msgpack::object &root() const { return m_handle.get(); }

    static std::map<std::string, msgpack::object> mapOf(const msgpack::object &o)
    {
        EXPECT_EQ(o.type, msgpack::type::MAP);
        return o.as<std::map<std::string, msgpack::object>>();
    }
    static std::set<std::string> keysOf(const msgpack::object &o)
    {
        std::set<std::string> keys;
        for (const auto &[key, value] : mapOf(o))
            keys.insert(key);
        return keys;
    }

private:
    msgpack::object_handle m_handle;
};

TEST(LsoMsgTest, NullValueGivesTheDefaults)
{
    const Result<LsoMsg> msg = LsoMsg::fromJson(QJsonValue(QJsonValue::Null));
    ASSERT_TRUE(msg);
    EXPECT_TRUE(msg->prefix.isEmpty());
    EXPECT_EQ(msg->pageSize, 0);
    EXPECT_EQ(msg->effectivePageSize(), MaxPageSize);
    EXPECT_TRUE(msg->props.isEmpty());
    EXPECT_EQ(msg->flags, 0u);
}

TEST(LsoMsgTest, ReadsEveryField)
{
    const Result<LsoMsg> msg = LsoMsg::fromJson(QJsonObject{{"prefix", "img/"},
                                                            {"pagesize", 250},
                                                            {"uuid", "u-1"},
                                                            {"continuation_token", "img/k"},
                                                            {"start_after", "img/a"},
                                                            {"props", "name,size"},
                                                            {"flags", "4"}});
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->prefix, "img/");
    EXPECT_EQ(msg->pageSize, 250);
    EXPECT_EQ(msg->effectivePageSize(), 250);
    EXPECT_EQ(msg->uuid, "u-1");
    EXPECT_EQ(msg->continuationToken, "img/k");
    EXPECT_EQ(msg->startAfter, "img/a");
    EXPECT_EQ(msg->flags, 4u);
}

TEST(LsoMsgTest, ReadsFlagsGivenAsADecimalString)
{
    // AIS tags flags ",string"; the value may exceed 32 bits.
    const Result<LsoMsg> msg = LsoMsg::fromJson(QJsonObject{{"flags", "8589934593"}});
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->flags, (quint64(1) << 33) + 1);
}

TEST(LsoMsgTest, ReadsFlagsGivenAsANumber)
{
    const Result<LsoMsg> msg = LsoMsg::fromJson(QJsonObject{{"flags", 6}});
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->flags, 6u);
}

TEST(LsoMsgTest, RejectsFlagsThatAreNotANumber)
{
    for (const QJsonValue &flags :
         {QJsonValue("six"), QJsonValue(QJsonArray{1}), QJsonValue(true)}) {
        const Result<LsoMsg> msg = LsoMsg::fromJson(QJsonObject{{"flags", flags}});
        ASSERT_FALSE(msg);
        EXPECT_EQ(msg.error().code, ErrorCode::InvalidArgument);
    }
}

TEST(LsoMsgTest, MatchesKeysCaseInsensitively)
{
    const Result<LsoMsg> msg
        = LsoMsg::fromJson(QJsonObject{{"Prefix", "p/"}, {"PageSize", 7}, {"Props", "atime"}});
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->prefix, "p/");
    EXPECT_EQ(msg->pageSize, 7);
    EXPECT_TRUE(msg->wants("atime"));
}

TEST(LsoMsgTest, ReadsThePageSizeAsAStringToo)
{
    const Result<LsoMsg> msg = LsoMsg::fromJson(QJsonObject{{"pagesize", "300"}});
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->pageSize, 300);
}

TEST(LsoMsgTest, RejectsANegativePageSize)
{
    const Result<LsoMsg> msg = LsoMsg::fromJson(QJsonObject{{"pagesize", -1}});
    ASSERT_FALSE(msg);
    EXPECT_EQ(msg.error().code, ErrorCode::InvalidArgument);
}

TEST(LsoMsgTest, CapsThePageSizeAtTheServerMaximum)
{
    for (const qint64 asked : {qint64(MaxPageSize), qint64(MaxPageSize) + 1, qint64(1) << 40}) {
        const Result<LsoMsg> msg = LsoMsg::fromJson(QJsonObject{{"pagesize", asked}});
        ASSERT_TRUE(msg);
        EXPECT_EQ(msg->effectivePageSize(), MaxPageSize) << asked;
    }
    EXPECT_EQ(LsoMsg::fromJson(QJsonObject{{"pagesize", 1}})->effectivePageSize(), 1);
    EXPECT_EQ(LsoMsg::fromJson(QJsonObject{{"pagesize", 0}})->effectivePageSize(), MaxPageSize);
}

TEST(LsoMsgTest, ReadsPropsAsACommaSeparatedList)
{
    const LsoMsg msg = requesting("name, size,,checksum ,atime");
    EXPECT_EQ(msg.props, (QSet<QString>{"name", "size", "checksum", "atime"}));
    EXPECT_TRUE(msg.wants("checksum"));
    EXPECT_FALSE(msg.wants("version"));
}

TEST(LsoMsgTest, RejectsAValueThatIsNotAnObject)
{
    EXPECT_FALSE(LsoMsg::fromJson(QJsonValue("list")));
    EXPECT_FALSE(LsoMsg::fromJson(QJsonArray{}));
}

TEST(LsoMsgTest, SurvivesAJsonRoundTrip)
{
    LsoMsg msg = requesting("version,checksum");
    msg.prefix = "x/";
    msg.pageSize = 17;
    msg.uuid = "u";
    msg.continuationToken = "x/c";
    msg.startAfter = "x/b";
    msg.flags = 9;
    const Result<LsoMsg> back = LsoMsg::fromJson(msg.toJson());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->prefix, msg.prefix);
    EXPECT_EQ(back->pageSize, msg.pageSize);
    EXPECT_EQ(back->uuid, msg.uuid);
    EXPECT_EQ(back->continuationToken, msg.continuationToken);
    EXPECT_EQ(back->startAfter, msg.startAfter);
    EXPECT_EQ(back->props, msg.props);
    EXPECT_EQ(back->flags, msg.flags);
}

TEST(LsoPageTest, MsgpackHasTheFourTopLevelFieldsAisNames)
{
    const Decoded doc(samplePage().toMsgpack(LsoMsg{}));
    EXPECT_EQ(Decoded::keysOf(doc.root()),
              (std::set<std::string>{"UUID", "ContinuationToken", "Entries", "Flags"}));
    const auto top = Decoded::mapOf(doc.root());
    EXPECT_EQ(top.at("UUID").as<std::string>(), "list-uuid");
    EXPECT_EQ(top.at("ContinuationToken").as<std::string>(), "b/last");
    EXPECT_EQ(top.at("Flags").as<uint32_t>(), 0u);
    ASSERT_EQ(top.at("Entries").type, msgpack::type::ARRAY);
    EXPECT_EQ(top.at("Entries").via.array.size, 2u);
}

TEST(LsoPageTest, MsgpackEntriesCarryNameSizeAndFlagsUnderShortKeys)
{
    const Decoded doc(samplePage().toMsgpack(LsoMsg{}));
    const msgpack::object entries = Decoded::mapOf(doc.root()).at("Entries");
    ASSERT_EQ(entries.via.array.size, 2u);
    const auto first = Decoded::mapOf(entries.via.array.ptr[0]);
    const auto second = Decoded::mapOf(entries.via.array.ptr[1]);
    EXPECT_EQ(Decoded::keysOf(entries.via.array.ptr[0]), (std::set<std::string>{"n", "s", "f"}));
    EXPECT_EQ(first.at("n").as<std::string>(), "a/one");
    EXPECT_EQ(first.at("s").as<int64_t>(), 5);
    EXPECT_EQ(first.at("f").as<uint32_t>(), LsoEntry::FlagCached);
    EXPECT_EQ(second.at("n").as<std::string>(), "b/zwei-\xc3\xbc"); // UTF-8 on the wire
    EXPECT_EQ(second.at("s").as<int64_t>(), 6000000000LL);
}

TEST(LsoPageTest, MsgpackCarriesOptionalPropertiesOnlyWhenRequested)
{
    const Decoded doc(
        samplePage().toMsgpack(requesting("name,size,checksum,atime,version,location")));
    const msgpack::object entries = Decoded::mapOf(doc.root()).at("Entries");
    EXPECT_EQ(Decoded::keysOf(entries.via.array.ptr[0]),
              (std::set<std::string>{"n", "s", "f", "cs", "a", "v", "t"}));
    const auto entry = Decoded::mapOf(entries.via.array.ptr[0]);
    EXPECT_EQ(entry.at("cs").as<std::string>(), "0123456789abcdef");
    EXPECT_EQ(entry.at("a").as<std::string>(), formatAtime(SaturdayNs).toStdString());
    EXPECT_EQ(entry.at("v").as<std::string>(), "3");
    EXPECT_EQ(entry.at("t").as<std::string>(), "t[abc]:mp[/data/mp1]");
}

TEST(LsoPageTest, MsgpackCarriesOnlyTheRequestedSubset)
{
    const Decoded doc(samplePage().toMsgpack(requesting("checksum")));
    const msgpack::object entries = Decoded::mapOf(doc.root()).at("Entries");
    EXPECT_EQ(Decoded::keysOf(entries.via.array.ptr[1]),
              (std::set<std::string>{"n", "s", "f", "cs"}));
}

TEST(LsoPageTest, MsgpackOmitsRequestedPropertiesThatAreEmpty)
{
    LsoPage page;
    LsoEntry bare;
    bare.name = "bare";
    page.entries = {bare};
    const Decoded doc(page.toMsgpack(requesting("checksum,atime,version,location")));
    const msgpack::object entries = Decoded::mapOf(doc.root()).at("Entries");
    // The size too: it is 0.
    EXPECT_EQ(Decoded::keysOf(entries.via.array.ptr[0]), (std::set<std::string>{"n", "f"}));
}

TEST(LsoPageTest, MsgpackOfAnEmptyLastPage)
{
    const Decoded doc(LsoPage{}.toMsgpack(LsoMsg{}));
    const auto top = Decoded::mapOf(doc.root());
    EXPECT_EQ(top.at("ContinuationToken").as<std::string>(), "");
    EXPECT_EQ(top.at("Entries").via.array.size, 0u);
}

TEST(LsoPageTest, JsonWritesTheSizeAsAString)
{
    const QJsonObject json = samplePage().toJson(LsoMsg{});
    EXPECT_EQ(json.value("uuid").toString(), "list-uuid");
    EXPECT_EQ(json.value("continuation_token").toString(), "b/last");
    const QJsonArray entries = json.value("entries").toArray();
    ASSERT_EQ(entries.size(), 2);
    const QJsonObject big = entries.at(1).toObject();
    ASSERT_TRUE(big.value("size").isString());
    EXPECT_EQ(big.value("size").toString(), "6000000000");
    EXPECT_EQ(big.value("name").toString(), QStringLiteral("b/zwei-ü"));
    EXPECT_FALSE(big.contains("checksum"));
    EXPECT_FALSE(big.contains("atime"));
}

TEST(LsoPageTest, JsonCarriesRequestedProperties)
{
    const QJsonObject json = samplePage().toJson(requesting("checksum,atime,version,location"));
    const QJsonObject entry = json.value("entries").toArray().at(0).toObject();
    EXPECT_EQ(entry.value("checksum").toString(), "0123456789abcdef");
    EXPECT_EQ(entry.value("atime").toString(), formatAtime(SaturdayNs));
    EXPECT_EQ(entry.value("version").toString(), "3");
    EXPECT_EQ(entry.value("location").toString(), "t[abc]:mp[/data/mp1]");
}

TEST(LsoPageTest, InternalJsonKeepsEveryProperty)
{
    const LsoPage page = samplePage();
    const QByteArray wire = QJsonDocument(page.toInternalJson()).toJson();
    const Result<LsoPage> back = LsoPage::fromInternalJson(QJsonDocument::fromJson(wire).object());
    ASSERT_TRUE(back) << back.error().message.toStdString();
    EXPECT_EQ(back->uuid, page.uuid);
    EXPECT_EQ(back->continuationToken, page.continuationToken);
    ASSERT_EQ(back->entries.size(), page.entries.size());
    for (qsizetype i = 0; i < page.entries.size(); ++i) {
        const LsoEntry &a = page.entries[i];
        const LsoEntry &b = back->entries[i];
        EXPECT_EQ(b.name, a.name);
        EXPECT_EQ(b.size, a.size);
        EXPECT_EQ(b.checksum, a.checksum);
        EXPECT_EQ(b.atimeNs, a.atimeNs);
        EXPECT_EQ(b.version, a.version);
        EXPECT_EQ(b.location, a.location);
        EXPECT_EQ(b.flags, a.flags);
    }
}

TEST(LsoPageTest, InternalJsonWithoutEntriesIsRejected)
{
    EXPECT_FALSE(LsoPage::fromInternalJson(QJsonObject{{"uuid", "u"}}));
}

// Sets TZ for one test and restores it after.
class LocalZone
{
public:
    explicit LocalZone(const char *zone)
        : m_old(qgetenv("TZ"))
        , m_had(qEnvironmentVariableIsSet("TZ"))
    {
        qputenv("TZ", zone);
        tzset();
    }
    ~LocalZone()
    {
        if (m_had)
            qputenv("TZ", m_old);
        else
            qunsetenv("TZ");
        tzset();
    }

private:
    QByteArray m_old;
    bool m_had;
};

TEST(LsoPageTest, FormatsAtimeAsGoRfc822InTheLocalZone)
{
    {
        LocalZone utc("UTC");
        EXPECT_EQ(formatAtime(SaturdayNs), "02 Jan 21 03:04 UTC");
        EXPECT_EQ(formatAtime(0), "01 Jan 70 00:00 UTC");
    }
    LocalZone berlin("Europe/Berlin");
    EXPECT_EQ(formatAtime(SaturdayNs), "02 Jan 21 04:04 CET");
}

TEST(LsoPageTest, OmitsASizeOfZeroAsAisDoes)
{
    LsoPage page;
    page.uuid = "u";
    LsoEntry empty;
    empty.name = "empty";
    page.entries = {empty};
    const QJsonObject entry = page.toJson(LsoMsg{}).value("entries").toArray().at(0).toObject();
    EXPECT_FALSE(entry.contains("size"));
    const Decoded doc(page.toMsgpack(LsoMsg{}));
    const msgpack::object entries = Decoded::mapOf(doc.root()).at("Entries");
    EXPECT_EQ(Decoded::keysOf(entries.via.array.ptr[0]), (std::set<std::string>{"n", "f"}));
}

} // namespace
} // namespace Kiln::Api
