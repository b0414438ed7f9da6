#pragma once

#include "app/editors/codeeditor.h"
#include "shared/etl/commtype.h"
#include "shared/etl/podspec.h"

#include <QList>

#include <optional>

class QTimer;

namespace Kiln::Console {

// The pod spec editor: YAML highlighting, line numbers, and a marker for every issue the shared
// pod spec validator (the one kilnd runs) finds, re-checked shortly after each keystroke. An
// issue without a line (a missing field) is marked on line 1. Lives on the GUI thread;
// validation is a parse of a few hundred lines, well under a frame.
class YamlEditor final : public CodeEditor
{
    Q_OBJECT
public:
    explicit YamlEditor(QWidget *parent = nullptr);

    // nullopt: take the spec's own communication_type annotation.
    void setCommType(std::optional<Etl::CommType> comm);
    const QList<Etl::SpecIssue> &issues() const { return m_issues; }
    // Validates now instead of after the typing pause.
    void validateNow();
    // An error from the server that names a field or line: marked until the next edit.
    void addServerIssue(const Etl::SpecIssue &issue);

Q_SIGNALS:
    void issuesChanged(const QList<Kiln::Etl::SpecIssue> &issues);

private:
    void applyMarkers();

    QTimer *m_debounce;
    std::optional<Etl::CommType> m_comm;
    QList<Etl::SpecIssue> m_issues;
};

} // namespace Kiln::Console
