#include "app/editors/namefield.h"
#include "shared/etl/etlname.h"

#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>

using namespace Kiln;

class tst_NameField : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void showsTheSharedRuleMessage_data();
    void showsTheSharedRuleMessage();
    void validatesWhileTyping();
    void serverErrorStaysUntilTheNextEdit();
};

void tst_NameField::showsTheSharedRuleMessage_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("starts with a digit") << QStringLiteral("1transform") << true; // AIS's rule
    QTest::newRow("digit first, upper case") << QStringLiteral("1Transform") << false;
    QTest::newRow("digit first, ends with -") << QStringLiteral("1transform-") << false;
    QTest::newRow("space inside") << QStringLiteral("my etl name") << false;
    QTest::newRow("dot inside") << QStringLiteral("my.etl") << false;
    QTest::newRow("too short") << QStringLiteral("etl") << false;
    QTest::newRow("long for the seed, fine for AIS")
        << QStringLiteral("a-very-long-etl-name-indeed") << true;
    QTest::newRow("too long") << QStringLiteral("a-very-very-long-etl-name-indeed-x") << false;
    QTest::newRow("letters, digits, - and _") << QStringLiteral("Echo_etl-2") << true;
    QTest::newRow("shortest") << QStringLiteral("abcdef") << true;
}

void tst_NameField::showsTheSharedRuleMessage()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    Console::NameField field;
    field.setName(text);
    QCOMPARE(field.isValid(), valid);
    // Exactly kilnd's message, so the console never disagrees with the server.
    QCOMPARE(field.message(), Etl::EtlName::brokenRule(text));
    QCOMPARE(field.message().isEmpty(), valid);
}

void tst_NameField::validatesWhileTyping()
{
    Console::NameField field;
    field.show();
    QSignalSpy validity(&field, &Console::NameField::validityChanged);
    QTest::keyClicks(field.lineEdit(), QStringLiteral("echo"));
    QVERIFY(!field.isValid());
    QVERIFY(field.message().contains(QLatin1String("6 to 20 characters")));
    QTest::keyClicks(field.lineEdit(), QStringLiteral("-x"));
    QVERIFY(field.isValid());
    QCOMPARE(validity.count(), 1);
    QCOMPARE(validity.last().first().toBool(), true);
    QTest::keyClicks(field.lineEdit(), QStringLiteral("!"));
    QVERIFY(!field.isValid());
    QCOMPARE(field.message(), Etl::EtlName::brokenRule(QStringLiteral("echo-x!")));
    QCOMPARE(validity.count(), 2);
}

void tst_NameField::serverErrorStaysUntilTheNextEdit()
{
    Console::NameField field;
    field.setName(QStringLiteral("echo-etl"));
    field.setServerError(QStringLiteral("p[x]: etl job echo-etl already exists"));
    QVERIFY(field.message().contains(QLatin1String("already exists")));
    field.setName(QStringLiteral("echo-etl2"));
    QVERIFY(field.message().isEmpty());
}

QTEST_MAIN(tst_NameField)
#include "tst_namefield.moc"
