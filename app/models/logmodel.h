#pragma once

#include "shared/api/apiclient.h"

#include <QAbstractListModel>
#include <QHash>
#include <QList>

namespace Kiln::Console {

// The log lines of one ETL, from every target or one. kilnd answers each logs call with the
// whole ring buffer of an instance (up to 4 MiB), so update() keeps what it already has and
// appends only the new tail; a ring that wrapped or an instance that restarted (the new text
// does not extend the old) is taken as a fresh start for that target. Lives on the GUI thread.
class LogModel final : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role { TargetRole = Qt::UserRole + 1 };

    struct Line
    {
        QString targetId;
        QString text;
    };

    explicit LogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Returns the lines appended by this update (also announced through rowsInserted).
    QList<Line> update(const QList<Api::TargetLog> &logs);
    void clear();

    const QList<Line> &lines() const { return m_lines; }
    // Caps memory: the oldest lines go first.
    void setMaxLines(int lines) { m_maxLines = lines; }

private:
    QList<Line> m_lines;
    QHash<QString, QByteArray> m_seen; // per target: the text already turned into lines
    int m_maxLines = 200000;
};

} // namespace Kiln::Console
