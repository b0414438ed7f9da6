#include "app/dialogs/etleditordialog.h"
#include "app/editors/namefield.h"
#include "app/editors/yamleditor.h"
#include "shared/etl/podspec.h"

#include <QComboBox>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace Kiln;

namespace {

const char GoodSpec[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: echo
spec:
  containers:
    - name: server
      image: python:3.11
      command: ["python3", "server.py"]
      ports:
        - name: default
          containerPort: 8000
      readinessProbe:
        httpGet:
          path: /health
          port: default
)";

} // namespace

class tst_YamlEditor : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void marksEveryIssueOnItsLine();
    void marksClearWhenFixed();
    void marksWhileTyping();
    void templatesAreValidForTheirCommType_data();
    void templatesAreValidForTheirCommType();
    void initButtonWaitsForANameAndAValidSpec();
};

void tst_YamlEditor::marksEveryIssueOnItsLine()
{
    Console::YamlEditor editor;
    QByteArray broken(GoodSpec);
    broken.replace("- name: default", "- name: http"); // line 11
    broken.replace("path: /health", "path: \"\""); // line 15
    editor.setCommType(Etl::CommType::Hpush);
    editor.setPlainText(QString::fromUtf8(broken));
    editor.validateNow();
    const QList<Etl::SpecIssue> expected = Etl::validatePodSpec(broken, Etl::CommType::Hpush);
    QVERIFY2(expected.size() >= 2, qPrintable(QString::number(expected.size())));
    QCOMPARE(editor.issues().size(), expected.size());
    for (const Etl::SpecIssue &issue : expected) {
        QVERIFY2(issue.line > 0, qPrintable(issue.toString()));
        QVERIFY2(editor.markers().contains(issue.line), qPrintable(issue.toString()));
        QVERIFY(editor.markers().value(issue.line).contains(issue.message));
    }
    QVERIFY(editor.markers().contains(11));
    QVERIFY(editor.markers().contains(15));
}

void tst_YamlEditor::marksClearWhenFixed()
{
    Console::YamlEditor editor;
    editor.setCommType(Etl::CommType::Hpush);
    editor.setPlainText(QString::fromLatin1(GoodSpec).replace("image: python:3.11\n", ""));
    editor.validateNow();
    QVERIFY(!editor.issues().isEmpty());
    editor.setPlainText(QString::fromLatin1(GoodSpec));
    editor.validateNow();
    QVERIFY2(editor.issues().isEmpty(), qPrintable(editor.issues().value(0).toString()));
    QVERIFY(editor.markers().isEmpty());
}

void tst_YamlEditor::marksWhileTyping()
{
    Console::YamlEditor editor;
    editor.show();
    editor.setCommType(Etl::CommType::Hpush);
    editor.setPlainText(QString::fromLatin1(GoodSpec));
    editor.validateNow();
    QVERIFY(editor.markers().isEmpty());
    QSignalSpy changed(&editor, &Console::YamlEditor::issuesChanged);
    // Typing a second container's dash breaks "exactly one container"; markers follow on their
    // own after the typing pause.
    QTextCursor cursor = editor.textCursor();
    cursor.movePosition(QTextCursor::End);
    editor.setTextCursor(cursor);
    for (const char *line : {"    - name: second", "      image: busybox"}) {
        QTest::keyClicks(&editor, QString::fromLatin1(line));
        QTest::keyClick(&editor, Qt::Key_Return);
    }
    QTRY_VERIFY_WITH_TIMEOUT(!editor.markers().isEmpty(), 5000);
    QVERIFY(changed.count() >= 1);
}

void tst_YamlEditor::templatesAreValidForTheirCommType_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("comm");
    QTest::newRow("hpush") << "hpush.yaml" << int(Etl::CommType::Hpush);
    QTest::newRow("hpull") << "hpull.yaml" << int(Etl::CommType::Hpull);
    QTest::newRow("hrev") << "hrev.yaml" << int(Etl::CommType::Hrev);
    QTest::newRow("io") << "io.yaml" << int(Etl::CommType::Io);
    QTest::newRow("ws") << "ws.yaml" << int(Etl::CommType::Ws);
}

void tst_YamlEditor::templatesAreValidForTheirCommType()
{
    QFETCH(QString, file);
    QFETCH(int, comm);
    QFile f(QStringLiteral(":/templates/") + file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<Etl::SpecIssue> issues = Etl::validatePodSpec(f.readAll(), Etl::CommType(comm));
    QVERIFY2(issues.isEmpty(), qPrintable(issues.value(0).toString()));
}

void tst_YamlEditor::initButtonWaitsForANameAndAValidSpec()
{
    Console::EtlEditorDialog dialog(nullptr);
    dialog.show();
    QVERIFY(!dialog.initButton()->isEnabled()); // no name yet
    dialog.nameField()->setName(QStringLiteral("upper-hpush"));
    QVERIFY(dialog.initButton()->isEnabled()); // the hpush template is valid
    QString spec = dialog.specEditor()->toPlainText();
    spec.replace(QStringLiteral("path: /health"), QStringLiteral("path: \"\""));
    dialog.specEditor()->setPlainText(spec);
    dialog.specEditor()->validateNow();
    QVERIFY(!dialog.initButton()->isEnabled());
    QVERIFY(!dialog.specEditor()->markers().isEmpty());
    QVERIFY(dialog.statusText().contains(QLatin1String("line")));
    // Another comm type's template is valid again.
    dialog.commTypeBox()->setCurrentIndex(dialog.commTypeBox()->findText(QStringLiteral("io://")));
    dialog.loadTemplate();
    QVERIFY2(dialog.initButton()->isEnabled(), qPrintable(dialog.statusText()));
    dialog.setMode(Console::EtlEditorDialog::Mode::Code);
    QVERIFY(dialog.initButton()->isEnabled());
    const auto msg = dialog.buildMessage();
    QVERIFY(msg);
    QCOMPARE(msg->value("runtime").toString(), QStringLiteral("python3"));
    QVERIFY(msg->contains("code"));
    dialog.nameField()->setName(QStringLiteral("9 lives"));
    QVERIFY(!dialog.initButton()->isEnabled());
}

QTEST_MAIN(tst_YamlEditor)
#include "tst_yamleditor.moc"
