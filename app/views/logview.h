#pragma once

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTimer;
class QToolButton;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class LogModel;
class SearchHighlighter;

// Live logs of one ETL: all targets or one, polled while following (the view scrolls with new
// lines), paused on demand (lines still accumulate, the text stops moving), searched with every
// match highlighted and optionally filtered to matching lines, saved to a file.
class LogView final : public QWidget
{
    Q_OBJECT
public:
    explicit LogView(Api::ApiClient *api, QWidget *parent = nullptr);

    void setEtl(const QString &name);
    QString etl() const { return m_name; }
    void setTargets(const QStringList &targetIds);
    // One target's logs only; empty for all targets.
    void setTarget(const QString &targetId);
    void setPollInterval(int msecs);

    bool isFollowing() const;
    void setFollowing(bool follow);
    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);
    void setSearch(const QString &text);
    void setFilterToMatches(bool filter);
    void focusSearch();
    // Writes what the view holds (all lines, not only the filtered ones) to a file.
    bool saveTo(const QString &path, QString *error = nullptr) const;
    void save();

    LogModel *model() const { return m_model; }
    QPlainTextEdit *textView() const { return m_text; }
    int matchCount() const { return m_matches; }

Q_SIGNALS:
    void linesAdded(int count);

private:
    void poll();
    void rebuild();
    void appendLines(int first);
    bool passes(const QString &line) const;
    void updateStatus();

    QPointer<Api::ApiClient> m_api;
    QString m_name;
    LogModel *m_model;
    QComboBox *m_target;
    QCheckBox *m_follow;
    QToolButton *m_pause;
    QLineEdit *m_search;
    QCheckBox *m_filter;
    QToolButton *m_save;
    QLabel *m_status;
    QPlainTextEdit *m_text;
    SearchHighlighter *m_highlighter;
    QTimer *m_timer;
    bool m_paused = false;
    bool m_inFlight = false;
    int m_shown = 0; // model rows already considered for the text view
    int m_matches = 0;
};

} // namespace Kiln::Console
