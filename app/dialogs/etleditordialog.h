#pragma once

#include "shared/etl/podspec.h"

#include <QDialog>
#include <QJsonObject>
#include <QPointer>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class CodeEditor;
class NameField;
class YamlEditor;

// New / edit ETL. Two modes: a pod spec (YAML editor with live markers from the shared
// validator, a template per comm type) and code (Python editor, dependencies, runtime, comm and
// argument type). Init stays disabled until the name and the chosen mode are valid; the init
// call runs asynchronously with a busy bar, and a server error goes to the name field, the spec
// line it names, or the status line. Editing an existing ETL replaces it (delete, then init).
class EtlEditorDialog final : public QDialog
{
    Q_OBJECT
public:
    enum class Mode { PodSpec, Code };

    explicit EtlEditorDialog(Api::ApiClient *api, QWidget *parent = nullptr);

    // Fills the editor from a stored init message (GET /v1/etl/<name>); Init then replaces it.
    void loadExisting(const QJsonObject &initMsg);
    // Fetches the stored message of an ETL and loads it (asynchronously).
    void loadFrom(const QString &name);
    void setMode(Mode mode);
    Mode mode() const;
    // Loads the template of the comm type currently selected into the active editor.
    void loadTemplate();

    NameField *nameField() const { return m_name; }
    YamlEditor *specEditor() const { return m_spec; }
    CodeEditor *codeEditor() const { return m_code; }
    QPushButton *initButton() const { return m_init; }
    QComboBox *commTypeBox() const { return m_comm; }
    QString statusText() const;
    // The message Init would send, or why there is none.
    Result<QJsonObject> buildMessage() const;

Q_SIGNALS:
    // The ETL was created; the dialog closes itself after this.
    void initialized(const QString &name, const QString &xactionId);

private:
    QWidget *buildSpecPage(); // the pod spec editor and its list of issues
    QWidget *buildCodePage(); // runtime, argument type, code and dependencies
    void buildLayout();
    void connectSignals();
    void updateValidity();
    void onIssuesChanged(const QList<Etl::SpecIssue> &issues);
    void submit();
    void sendInit(const QJsonObject &msg);
    void showServerError(const Error &error);
    void showSpecError(const QString &message); // marks the line the server names
    void setBusy(bool busy, const QString &status = {});

    QPointer<Api::ApiClient> m_api;
    NameField *m_name;
    QTabWidget *m_tabs;
    QComboBox *m_comm;
    QSpinBox *m_initTimeout;
    QSpinBox *m_objTimeout;
    YamlEditor *m_spec;
    QListWidget *m_issues;
    CodeEditor *m_code;
    QPlainTextEdit *m_deps;
    QComboBox *m_runtime;
    QComboBox *m_argType;
    QProgressBar *m_progress;
    QLabel *m_status;
    QPushButton *m_template;
    QPushButton *m_init;
    QDialogButtonBox *m_buttons;
    QString m_replacing; // the name of the ETL being edited; empty for a new one
    bool m_busy = false;
};

} // namespace Kiln::Console
