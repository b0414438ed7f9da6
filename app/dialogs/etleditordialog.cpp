#include "app/dialogs/etleditordialog.h"

#include "app/editors/codeeditor.h"
#include "app/editors/namefield.h"
#include "app/editors/yamleditor.h"
#include "app/editors/yamlhighlighter.h"
#include "shared/api/apiclient.h"
#include "shared/api/apierror.h"
#include "shared/etl/etlname.h"
#include "shared/etl/initmsg.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFormLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTextBlock>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

struct CommChoice
{
    Etl::CommType type;
    const char *resource; // template under :/templates
};

const CommChoice CommChoices[] = {
    {Etl::CommType::Hpush, "hpush.yaml"}, {Etl::CommType::Hpull, "hpull.yaml"},
    {Etl::CommType::Hrev, "hrev.yaml"},   {Etl::CommType::Io, "io.yaml"},
    {Etl::CommType::Ws, "ws.yaml"},
};

QString readResource(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

} // namespace

EtlEditorDialog::EtlEditorDialog(Api::ApiClient *api, QWidget *parent)
    : QDialog(parent)
    , m_api(api)
    , m_name(new NameField(this))
    , m_tabs(new QTabWidget(this))
    , m_comm(new QComboBox(this))
    , m_initTimeout(new QSpinBox(this))
    , m_objTimeout(new QSpinBox(this))
    , m_spec(new YamlEditor(this))
    , m_issues(new QListWidget(this))
    , m_code(new CodeEditor(this))
    , m_deps(new QPlainTextEdit(this))
    , m_runtime(new QComboBox(this))
    , m_argType(new QComboBox(this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_template(new QPushButton(tr("Load &template"), this))
    , m_init(new QPushButton(tr("&Init"), this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("New ETL"));
    for (const CommChoice &c : CommChoices)
        m_comm->addItem(Etl::commTypeName(c.type), int(c.type));
    m_initTimeout->setRange(1, 3600);
    m_initTimeout->setValue(int(Etl::DefaultInitTimeout.count() / 1000));
    m_initTimeout->setSuffix(tr(" s"));
    m_objTimeout->setRange(1, 3600);
    m_objTimeout->setValue(int(Etl::DefaultObjTimeout.count() / 1000));
    m_objTimeout->setSuffix(tr(" s"));
    m_template->setToolTip(tr("Replace the editor's text with the example for this comm type"));

    m_tabs->addTab(buildSpecPage(), tr("&Pod spec"));
    m_tabs->addTab(buildCodePage(), tr("C&ode"));
    buildLayout();
    connectSignals();

    m_spec->setCommType(Etl::CommType::Hpush);
    loadTemplate();
    m_code->setPlainText(readResource(QStringLiteral(":/templates/transform.py")));
    updateValidity();
    resize(QSize(900, 700).boundedTo(parent ? parent->size() * 0.95 : QSize(900, 700)));
}

QWidget *EtlEditorDialog::buildSpecPage()
{
    // Pod spec page: the editor and the list of every issue (click to jump to its line).
    auto *specPage = new QSplitter(Qt::Vertical, this);
    specPage->addWidget(m_spec);
    specPage->addWidget(m_issues);
    specPage->setStretchFactor(0, 4);
    specPage->setStretchFactor(1, 1);
    m_issues->setAlternatingRowColors(true);
    return specPage;
}

QWidget *EtlEditorDialog::buildCodePage()
{
    // Code page.
    new PythonHighlighter(m_code->document());
    for (const char *rt : {"python3", "python3.11v2", "python3.12v2", "python3.13v2"})
        m_runtime->addItem(QString::fromLatin1(rt));
    m_runtime->setEditable(true);
    m_argType->addItem(tr("bytes (object content)"), QString());
    m_argType->addItem(tr("url"), QStringLiteral("url"));
    m_argType->addItem(tr("fqn (local file path)"), QStringLiteral("fqn"));
    m_deps->setPlaceholderText(tr("One pip requirement per line, e.g. numpy==2.1.0"));
    m_deps->setFont(m_code->font());
    auto *codePage = new QWidget(this);
    auto *codeForm = new QFormLayout;
    codeForm->addRow(tr("&Runtime:"), m_runtime);
    codeForm->addRow(tr("&Argument:"), m_argType);
    auto *codeSplit = new QSplitter(Qt::Vertical, codePage);
    codeSplit->addWidget(m_code);
    auto *depsBox = new QWidget(codeSplit);
    auto *depsLayout = new QVBoxLayout(depsBox);
    depsLayout->setContentsMargins(0, 0, 0, 0);
    depsLayout->addWidget(new QLabel(tr("Dependencies:"), depsBox));
    depsLayout->addWidget(m_deps);
    codeSplit->addWidget(depsBox);
    codeSplit->setStretchFactor(0, 4);
    codeSplit->setStretchFactor(1, 1);
    auto *codeLayout = new QVBoxLayout(codePage);
    codeLayout->setContentsMargins(0, 0, 0, 0);
    codeLayout->addLayout(codeForm);
    codeLayout->addWidget(codeSplit, 1);
    return codePage;

}

void EtlEditorDialog::buildLayout()
{
    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    auto *commRow = new QHBoxLayout;
    commRow->addWidget(m_comm);
    commRow->addWidget(m_template);
    commRow->addStretch(1);
    commRow->addWidget(new QLabel(tr("Init timeout:"), this));
    commRow->addWidget(m_initTimeout);
    commRow->addWidget(new QLabel(tr("Object timeout:"), this));
    commRow->addWidget(m_objTimeout);
    auto *commLabel = new QLabel(tr("&Comm type:"), this);
    commLabel->setBuddy(m_comm);
    form->addRow(commLabel, commRow);

    m_progress->setRange(0, 0);
    m_progress->setVisible(false);
    m_progress->setMaximumHeight(fontMetrics().height());
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_init->setDefault(true);
    m_buttons->addButton(m_init, QDialogButtonBox::AcceptRole);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_buttons);

}

void EtlEditorDialog::connectSignals()
{
    connect(m_name, &NameField::validityChanged, this, &EtlEditorDialog::updateValidity);
    connect(m_spec, &YamlEditor::issuesChanged, this, &EtlEditorDialog::onIssuesChanged);
    connect(m_code, &QPlainTextEdit::textChanged, this, &EtlEditorDialog::updateValidity);
    connect(m_runtime, &QComboBox::currentTextChanged, this, &EtlEditorDialog::updateValidity);
    connect(m_tabs, &QTabWidget::currentChanged, this, &EtlEditorDialog::updateValidity);
    connect(m_comm, &QComboBox::currentIndexChanged, this, [this] {
        m_spec->setCommType(Etl::CommType(m_comm->currentData().toInt()));
        updateValidity();
    });
    connect(m_template, &QPushButton::clicked, this, &EtlEditorDialog::loadTemplate);
    connect(m_issues, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const int line = item->data(Qt::UserRole).toInt();
        const QTextBlock block = m_spec->document()->findBlockByNumber(qMax(0, line - 1));
        m_spec->setTextCursor(QTextCursor(block));
        m_spec->setFocus();
    });
    connect(m_init, &QPushButton::clicked, this, &EtlEditorDialog::submit);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void EtlEditorDialog::setMode(Mode mode)
{
    m_tabs->setCurrentIndex(mode == Mode::PodSpec ? 0 : 1);
}

EtlEditorDialog::Mode EtlEditorDialog::mode() const
{
    return m_tabs->currentIndex() == 0 ? Mode::PodSpec : Mode::Code;
}

QString EtlEditorDialog::statusText() const
{
    return m_status->text();
}

void EtlEditorDialog::loadTemplate()
{
    const auto comm = Etl::CommType(m_comm->currentData().toInt());
    if (mode() == Mode::Code) {
        m_code->setPlainText(readResource(QStringLiteral(":/templates/transform.py")));
        return;
    }
    for (const CommChoice &c : CommChoices) {
        if (c.type == comm) {
            m_spec->setPlainText(
                readResource(QStringLiteral(":/templates/%1").arg(QLatin1String(c.resource))));
            m_spec->validateNow();
        }
    }
}

void EtlEditorDialog::loadExisting(const QJsonObject &initMsg)
{
    const auto msg = Etl::InitMsg::fromJson(QJsonDocument(initMsg).toJson());
    const QString name = initMsg.value("name").toString();
    m_replacing = name;
    setWindowTitle(tr("Edit ETL %1").arg(name));
    m_init->setText(tr("&Replace"));
    m_init->setToolTip(tr("Delete the running ETL and init it again from this definition"));
    m_name->setName(name);
    m_name->setReadOnly(true);
    if (!msg) {
        m_status->setText(tr("The stored message does not parse: %1").arg(msg.error().message));
        return;
    }
    const int commIndex = m_comm->findData(int(msg->comm));
    if (commIndex >= 0)
        m_comm->setCurrentIndex(commIndex);
    m_initTimeout->setValue(int(msg->initTimeout.count() / 1000));
    m_objTimeout->setValue(int(msg->objTimeout.count() / 1000));
    if (msg->kind == Etl::InitKind::Code) {
        setMode(Mode::Code);
        m_code->setPlainText(QString::fromUtf8(msg->code));
        m_deps->setPlainText(QString::fromUtf8(msg->dependencies));
        m_runtime->setCurrentText(msg->codeRuntime);
        const int arg = m_argType->findData(Etl::argTypeName(msg->argType));
        m_argType->setCurrentIndex(qMax(0, arg));
    } else if (msg->kind == Etl::InitKind::PodSpec) {
        setMode(Mode::PodSpec);
        m_spec->setPlainText(QString::fromUtf8(msg->podYaml));
        m_spec->validateNow();
    } else {
        m_status->setText(tr("ETL %1 was defined from a runtime image (%2); only pod spec and code "
                             "ETLs can be edited here.")
                              .arg(name, msg->image));
        m_init->setEnabled(false);
    }
}

void EtlEditorDialog::loadFrom(const QString &name)
{
    if (!m_api)
        return;
    setBusy(true, tr("Loading %1…").arg(name));
    m_api->etlDetails(name, this, [this, name](const Result<Api::EtlDetails> &details) {
        setBusy(false);
        if (!details) {
            m_status->setText(tr("Could not load %1: %2").arg(name, details.error().message));
            return;
        }
        loadExisting(details->initMsg);
    });
}

void EtlEditorDialog::onIssuesChanged(const QList<Etl::SpecIssue> &issues)
{
    m_issues->clear();
    for (const Etl::SpecIssue &issue : issues) {
        auto *item = new QListWidgetItem(issue.toString(), m_issues);
        item->setData(Qt::UserRole, issue.line);
    }
    m_issues->setVisible(!issues.isEmpty());
    updateValidity();
}

Result<QJsonObject> EtlEditorDialog::buildMessage() const
{
    if (const QString rule = Etl::EtlName::brokenRule(m_name->name()); !rule.isEmpty())
        return makeError(ErrorCode::InvalidArgument, rule);
    const auto comm = Etl::CommType(m_comm->currentData().toInt());
    Etl::InitMsg msg;
    msg.name = m_name->name();
    msg.comm = comm;
    msg.initTimeout = std::chrono::seconds(m_initTimeout->value());
    msg.objTimeout = std::chrono::seconds(m_objTimeout->value());
    if (mode() == Mode::PodSpec) {
        if (!m_spec->issues().isEmpty())
            return makeError(ErrorCode::InvalidArgument, m_spec->issues().first().toString());
        msg.kind = Etl::InitKind::PodSpec;
        msg.podYaml = m_spec->toPlainText().toUtf8();
        const auto pod = Etl::parsePodSpec(msg.podYaml, comm);
        if (!pod)
            return pod.error();
        msg.supportDirectPut = pod->annotatedDirectPut().value_or(false);
    } else {
        if (m_code->toPlainText().trimmed().isEmpty())
            return makeError(ErrorCode::InvalidArgument, tr("the code is empty"));
        msg.kind = Etl::InitKind::Code;
        msg.code = m_code->toPlainText().toUtf8();
        msg.dependencies = m_deps->toPlainText().trimmed().toUtf8();
        msg.codeRuntime = m_runtime->currentText().trimmed();
        const auto arg = Etl::parseArgType(m_argType->currentData().toString());
        if (arg)
            msg.argType = *arg;
    }
    // The shared parser kilnd runs on PUT /v1/etl: what passes here passes there.
    const QJsonObject json = msg.toJson();
    const auto back = Etl::InitMsg::fromJson(QJsonDocument(json).toJson());
    if (!back)
        return back.error();
    return json;
}

void EtlEditorDialog::updateValidity()
{
    const Result<QJsonObject> msg = buildMessage();
    m_init->setEnabled(!m_busy && bool(msg));
    m_init->setToolTip(msg ? QString() : msg.error().message);
    if (!m_busy)
        m_status->setText(msg ? tr("Ready to init") : msg.error().message);
}

void EtlEditorDialog::setBusy(bool busy, const QString &status)
{
    m_busy = busy;
    m_progress->setVisible(busy);
    m_name->setEnabled(!busy);
    m_tabs->setEnabled(!busy);
    m_comm->setEnabled(!busy);
    m_template->setEnabled(!busy);
    if (!status.isEmpty())
        m_status->setText(status);
    m_init->setEnabled(!busy && bool(buildMessage()));
}

void EtlEditorDialog::submit()
{
    const Result<QJsonObject> msg = buildMessage();
    if (!msg || m_busy || !m_api)
        return;
    if (m_replacing.isEmpty())
        return sendInit(*msg);
    setBusy(true, tr("Deleting the running %1…").arg(m_replacing));
    const QJsonObject body = *msg;
    m_api->deleteEtl(m_replacing, this, [this, body](const Result<void> &deleted) {
        if (!deleted && deleted.error().code != ErrorCode::NotFound) {
            setBusy(false);
            return showServerError(deleted.error());
        }
        sendInit(body);
    });
}

void EtlEditorDialog::sendInit(const QJsonObject &msg)
{
    const QString name = msg.value("name").toString();
    setBusy(
        true,
        tr("Initializing %1 on every target (up to %2 s)…").arg(name).arg(m_initTimeout->value()));
    m_api->initEtl(msg, this, [this, name](const Result<QString> &xid) {
        setBusy(false);
        if (!xid)
            return showServerError(xid.error());
        m_status->setText(tr("%1 is running (%2)").arg(name, *xid));
        Q_EMIT initialized(name, *xid);
        accept();
    });
}

void EtlEditorDialog::showServerError(const Error &error)
{
    // Put the error where the user fixes it: the name field, the spec line, or the status line.
    const QString &message = error.message;
    m_status->setText(tr("Init failed: %1").arg(message));
    switch (Api::errorKind(error)) {
    case Api::ErrorKind::EtlAlreadyExists:
    case Api::ErrorKind::InvalidEtlName:
        m_name->setServerError(message);
        return;
    case Api::ErrorKind::BadRequest:
        if (mode() == Mode::PodSpec)
            showSpecError(message);
        return;
    default:
        return;
    }
}

void EtlEditorDialog::showSpecError(const QString &message)
{
    // kilnd names the spec's field and line: "<field> (line <n>): <what>".
    static const QRegularExpression lineRe(QStringLiteral("(\\S+) \\(line (\\d+)\\): (.*)$"));
    if (const auto m = lineRe.match(message); m.hasMatch())
        m_spec->addServerIssue({m.captured(1), m.captured(2).toInt(), m.captured(3)});
}

} // namespace Kiln::Console
