#include "service/authn/authnstore.h"

#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonDocument>

namespace Kiln::Authn {
namespace {

Role role(const QString &name, QList<Auth::ClusterAcl> clusters, QList<Auth::BucketAcl> buckets = {})
{
    Role r;
    r.name = name;
    r.clusters = std::move(clusters);
    r.buckets = std::move(buckets);
    return r;
}

TEST(AuthnStore, AlwaysHasTheAdminRole)
{
    const AuthnStore store;
    ASSERT_TRUE(store.roles.contains("Admin"));
    EXPECT_TRUE(store.roles.value("Admin").admin);
}

TEST(AuthnStore, ClaimsAreTheUnionOfTheUsersRoles)
{
    AuthnStore store;
    const Auth::BucketRef b{"ais", "b"};
    store.roles.insert("ro", role("ro", {Auth::ClusterAcl{"c1", {}, {}, Auth::Access::RO}}));
    store.roles.insert("put", role("put", {Auth::ClusterAcl{"c1", {}, {}, Auth::Ace::Put}},
                                   {Auth::BucketAcl{b, "c1", Auth::Ace::ObjDelete}}));
    const User user{"bob", {}, {"ro", "put", "gone"}};
    const Auth::Claims claims = store.claimsFor(user);
    EXPECT_EQ(claims.subject, "bob");
    EXPECT_FALSE(claims.admin);
    ASSERT_EQ(claims.clusters.size(), 1);
    EXPECT_EQ(claims.clusters[0].access, Auth::Access::RO | Auth::Ace::Put);
    ASSERT_EQ(claims.buckets.size(), 1);
    EXPECT_TRUE(claims.check("c1", &b, Auth::Ace::ObjDelete));
    EXPECT_FALSE(claims.check("c1", nullptr, Auth::Ace::Admin));
}

TEST(AuthnStore, TheAdminRoleMakesAdmins)
{
    AuthnStore store;
    EXPECT_TRUE(store.claimsFor(User{"root", {}, {"Admin"}}).admin);
}

TEST(AuthnStore, SavesAndLoadsWithoutShowingHashes)
{
    AuthnStore store;
    store.roles.insert("ro", role("ro", {Auth::ClusterAcl{"c1", {}, {}, Auth::Access::RO}}));
    store.users.insert("bob", User{"bob", "pbkdf2-sha256$1$c2FsdA==$aGFzaA==", {"ro"}});
    store.clusters.insert("c1", Auth::ClusterAcl{"c1", "kiln", {"http://127.0.0.1:8080"}, 0});
    store.revoked << "a.b.c";
    auto back = AuthnStore::fromJson(store.toJson());
    ASSERT_TRUE(back) << back.error().message.toStdString();
    EXPECT_EQ(back->users.value("bob").passwordHash, store.users.value("bob").passwordHash);
    EXPECT_EQ(back->users.value("bob").roles, QStringList{"ro"});
    EXPECT_EQ(back->roles.value("ro").clusters[0].access, Auth::Access::RO);
    EXPECT_EQ(back->clusters.value("c1").urls, QStringList{"http://127.0.0.1:8080"});
    EXPECT_EQ(back->revoked, QStringList{"a.b.c"});
    const QJsonObject shown = store.userJson(store.users.value("bob"));
    EXPECT_FALSE(QString::fromUtf8(QJsonDocument(shown).toJson()).contains("pbkdf2"));
    EXPECT_EQ(shown.value("roles").toArray().at(0).toObject().value("name").toString(), "ro");
}

} // namespace
} // namespace Kiln::Authn
