#include "app/models/logmodel.h"

namespace Kiln::Console {

LogModel::LogModel(QObject *parent)
    : QAbstractListModel(parent)
{ }

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_lines.size())
        return {};
    const Line &line = m_lines.at(index.row());
    if (role == Qt::DisplayRole)
        return QStringLiteral("[%1] %2").arg(line.targetId, line.text);
    if (role == TargetRole)
        return line.targetId;
    return {};
}

QList<LogModel::Line> LogModel::update(const QList<Api::TargetLog> &logs)
{
    QList<Line> added;
    for (const Api::TargetLog &log : logs) {
        QByteArray &seen = m_seen[log.targetId];
        QByteArray fresh;
        if (log.text.startsWith(seen)) {
            fresh = log.text.mid(seen.size());
        } else {
            fresh = log.text;
        }
        // Only whole lines: a partial last line waits for its newline.
        const int end = fresh.lastIndexOf('\n');
        if (end < 0)
            continue;
        const QByteArray whole = fresh.left(end + 1);
        seen = log.text.startsWith(seen) ? seen + whole : whole;
        for (const QByteArray &l : whole.split('\n').mid(0, whole.count('\n')))
            added.append({log.targetId, QString::fromUtf8(l)});
    }
    if (added.isEmpty())
        return added;
    beginInsertRows({}, int(m_lines.size()), int(m_lines.size() + added.size() - 1));
    m_lines.append(added);
    endInsertRows();
    if (m_lines.size() > m_maxLines) {
        const int drop = int(m_lines.size()) - m_maxLines;
        beginRemoveRows({}, 0, drop - 1);
        m_lines.remove(0, drop);
        endRemoveRows();
    }
    return added;
}

void LogModel::clear()
{
    beginResetModel();
    m_lines.clear();
    m_seen.clear();
    endResetModel();
}

} // namespace Kiln::Console
