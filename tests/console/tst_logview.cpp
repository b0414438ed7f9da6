#include "app/models/logmodel.h"
#include "app/views/logview.h"
#include "kilncluster.h"

#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>

using namespace Kiln;
using Console::LogModel;
using Console::LogView;
using Console::Test::KilnCluster;

class tst_LogView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void followsNewLinesOfEveryTarget();
    void pausesSearchesFiltersAndSaves();
    void showsOneTargetOnly();
    void appendsOnlyTheNewTailOfARing();

private:
    KilnCluster m_cluster;
    Api::ApiClient m_api;
};

void tst_LogView::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_api.setEndpoint(m_cluster.url());
    const QString init = KilnCluster::initEchoEtl(m_api, QStringLiteral("echo-logs"));
    QVERIFY2(init.isEmpty(), qPrintable(init));
    const QString put = KilnCluster::putObjects(m_cluster.url(), QStringLiteral("logsrc"),
                                                {{QStringLiteral("one.txt"), "one"}});
    QVERIFY2(put.isEmpty(), qPrintable(put));
}

void tst_LogView::followsNewLinesOfEveryTarget()
{
    LogView view(&m_api);
    view.resize(800, 400);
    view.show();
    view.setPollInterval(250);
    view.setEtl(QStringLiteral("echo-logs"));
    QVERIFY(view.isFollowing());
    // Every instance prints its "listening" line at start.
    QTRY_VERIFY_WITH_TIMEOUT(view.model()->lines().size() >= 3, 10000);
    QSet<QString> targets;
    for (const LogModel::Line &l : view.model()->lines())
        targets.insert(l.targetId);
    QCOMPARE(targets.size(), 3);

    // A transform through the ETL makes its instance log the PUT; follow mode shows it.
    const int before = int(view.model()->lines().size());
    QObject ctx;
    bool got = false;
    m_api.getObject(QStringLiteral("logsrc"), QStringLiteral("one.txt"),
                    QStringLiteral("echo-logs"), &ctx,
                    [&](const Result<QByteArray> &r) { got = r && *r == "one"; });
    QTRY_VERIFY_WITH_TIMEOUT(got, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(
        view.textView()->toPlainText().contains(QLatin1String("\"PUT /logsrc")), 10000);
    QVERIFY(view.model()->lines().size() > before);
    QScrollBar *bar = view.textView()->verticalScrollBar();
    QCOMPARE(bar->value(), bar->maximum());
}

void tst_LogView::pausesSearchesFiltersAndSaves()
{
    LogView view(&m_api);
    view.show();
    view.setPollInterval(250);
    view.setEtl(QStringLiteral("echo-logs"));
    QTRY_VERIFY_WITH_TIMEOUT(view.model()->lines().size() >= 3, 10000);

    view.setSearch(QStringLiteral("listening"));
    QCOMPARE(view.matchCount(), 3);
    // Every match is highlighted in place.
    int highlighted = 0;
    for (QTextBlock b = view.textView()->document()->begin(); b.isValid(); b = b.next()) {
        for (const QTextLayout::FormatRange &range : b.layout()->formats()) {
            if (b.text()
                    .mid(range.start, range.length)
                    .compare(QLatin1String("listening"), Qt::CaseInsensitive)
                == 0)
                ++highlighted;
        }
    }
    QCOMPARE(highlighted, 3);
    view.setFilterToMatches(true);
    QCOMPARE(view.textView()->document()->blockCount(), 3);
    view.setFilterToMatches(false);
    QVERIFY(view.textView()->document()->blockCount() >= 3);

    view.setPaused(true);
    const QString frozen = view.textView()->toPlainText();
    const int lines = int(view.model()->lines().size());
    QObject ctx;
    bool got = false;
    m_api.getObject(QStringLiteral("logsrc"), QStringLiteral("one.txt"),
                    QStringLiteral("echo-logs"), &ctx,
                    [&](const Result<QByteArray> &r) { got = bool(r); });
    QTRY_VERIFY_WITH_TIMEOUT(got, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(view.model()->lines().size() > lines, 10000);
    QCOMPARE(view.textView()->toPlainText(), frozen); // paused: the text does not move
    view.setPaused(false);
    QVERIFY(view.textView()->toPlainText().size() > frozen.size());

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("echo.log"));
    QString error;
    QVERIFY2(view.saveTo(path, &error), qPrintable(error));
    QFile saved(path);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    const QByteArray text = saved.readAll();
    QCOMPARE(text.count('\n'), qsizetype(view.model()->lines().size()));
    QVERIFY(text.contains("listening"));
}

void tst_LogView::showsOneTargetOnly()
{
    LogView view(&m_api);
    view.setPollInterval(250);
    view.setEtl(QStringLiteral("echo-logs"));
    QTRY_VERIFY_WITH_TIMEOUT(view.model()->lines().size() >= 3, 10000);
    QStringList targets;
    for (const LogModel::Line &l : view.model()->lines()) {
        if (!targets.contains(l.targetId))
            targets.append(l.targetId);
    }
    targets.sort();
    QCOMPARE(targets.size(), 3);
    view.setTargets(targets);
    view.setTarget(targets.at(1));
    QTRY_VERIFY_WITH_TIMEOUT(!view.model()->lines().isEmpty(), 10000);
    for (const LogModel::Line &l : view.model()->lines())
        QCOMPARE(l.targetId, targets.at(1));
    QVERIFY(view.textView()->toPlainText().startsWith(QStringLiteral("[%1]").arg(targets.at(1))));
}

void tst_LogView::appendsOnlyTheNewTailOfARing()
{
    LogModel model;
    QCOMPARE(model.update({{QStringLiteral("t1"), "a\nb\npart"}}).size(), 2);
    // The same ring again plus more: only the new whole lines.
    const auto added = model.update({{QStringLiteral("t1"), "a\nb\npartial\nc\n"}});
    QCOMPARE(added.size(), 2);
    QCOMPARE(added.at(0).text, QStringLiteral("partial"));
    QCOMPARE(model.rowCount(), 4);
    // A restarted instance (text no longer extends the old): taken as new lines.
    QCOMPARE(model.update({{QStringLiteral("t1"), "fresh\n"}}).size(), 1);
    QCOMPARE(model.rowCount(), 5);
}

QTEST_MAIN(tst_LogView)
#include "tst_logview.moc"
