#include "service/target/archivesource.h"

#include "shared/api/writeform.h"

#include <QFile>
#include <QRegularExpression>
#include <QStringList>
#include <QtConcurrent>

#include <archive.h>
#include <archive_entry.h>

namespace Kiln::Target {
namespace {

constexpr qint64 CopyChunk = 256 * 1024;
const QStringList Formats{".tar", ".tgz", ".tar.gz", ".zip", ".tar.lz4"};

// AIS's archive.Mime: the archmime parameter, else the name's extension.
Result<QString> mimeOf(const QString &mime, const QString &name)
{
    if (!mime.isEmpty()) {
        if (mime.contains("tar.gz"))
            return QStringLiteral(".tar.gz");
        if (mime.contains("tar.lz4"))
            return QStringLiteral(".tar.lz4");
        for (const QString &f : Formats) {
            if (mime.contains(f.mid(1)))
                return f;
        }
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("unknown mime type \"%1\"").arg(mime));
    }
    for (const QString &f : Formats) {
        if (name.endsWith(f))
            return f;
    }
    return QString();
}

// The first bytes, when neither the parameter nor the name tell the format.
Result<QString> sniff(const QString &path, const QString &name)
{
    QFile file(path);
    QByteArray head;
    if (file.open(QIODevice::ReadOnly))
        head = file.read(512);
    if (head.size() > 262 && head.mid(257, 5) == "ustar")
        return QStringLiteral(".tar");
    if (head.startsWith("\x1f\x8b"))
        return QStringLiteral(".tar.gz");
    if (head.startsWith("PK"))
        return QStringLiteral(".zip");
    if (head.startsWith("\x04\x22\x4d\x18"))
        return QStringLiteral(".tar.lz4");
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("unrecognized or unsupported file format: \"%1\"").arg(name));
}

QString entryName(struct archive_entry *entry)
{
    if (const char *utf8 = archive_entry_pathname_utf8(entry))
        return QString::fromUtf8(utf8);
    return QString::fromLocal8Bit(archive_entry_pathname(entry));
}

// AIS's namesEq: equal, or equal once a leading '/' is dropped.
bool sameName(QString a, QString b)
{
    if (a.startsWith('/'))
        a.remove(0, 1);
    if (b.startsWith('/'))
        b.remove(0, 1);
    return a == b;
}

// cos.WdsKey: the path without its extension, no leading '/'.
QString wdsKey(const QString &path)
{
    QString key = path;
    const qsizetype slash = key.lastIndexOf('/');
    const qsizetype dot = key.lastIndexOf('.');
    if (dot > slash)
        key.truncate(dot);
    return key.startsWith('/') ? key.mid(1) : key;
}

} // namespace

class ArchiveCursor
{
public:
    ~ArchiveCursor();
    static Result<std::shared_ptr<ArchiveCursor>> open(const ArchiveRead &read, const QString &path,
                                                       const QString &objectName);
    QByteArray read(qint64 maxBytes);

    qint64 size = -1;
    bool end = false;
    QString error;
    bool isTar() const { return m_out != nullptr; }

private:
    static la_ssize_t sink(struct archive *, void *self, const void *data, size_t size)
    {
        static_cast<ArchiveCursor *>(self)->m_pending.append(static_cast<const char *>(data),
                                                             qsizetype(size));
        return la_ssize_t(size);
    }
    bool matches(const QString &name) const;
    bool nextMatch(); // moves to the next matching member; false at the end (or on an error)
    QByteArray readMember(qint64 maxBytes);
    QByteArray readTar(qint64 maxBytes);
    bool copyIntoTar(qint64 maxBytes);

    ArchiveRead m_query;
    struct archive *m_in = nullptr;
    struct archive *m_out = nullptr; // multi-match: the TAR being written
    struct archive_entry *m_entry = nullptr; // current member (owned by m_in)
    QByteArray m_pending; // multi-match: TAR bytes written, not yet read
    bool m_entryOpen = false; // multi-match: the current member's header is in the TAR
};

QString ArchiveRead::describe() const
{
    if (!archpath.isEmpty())
        return QStringLiteral("(archpath=%1)").arg(archpath);
    return QStringLiteral("(archregx=%1, archmode=%2)").arg(regex, mode);
}

Result<ArchiveRead> ArchiveSource::parse(const QString &archpath, const QString &regex,
                                         const QString &mode, const QString &mime)
{
    ArchiveRead read;
    read.archpath = archpath.startsWith('/') ? archpath.mid(1) : archpath;
    read.regex = regex;
    read.mime = mime;
    if (!mode.isEmpty()) {
        auto valid = Api::archMode(mode);
        if (!valid)
            return valid.error();
        read.mode = *valid;
    }
    if (!read.archpath.isEmpty() && !read.mode.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("archpath=\"%1\" (match one) and archregx=\"%2\" (match "
                                        "many) are mutually exclusive")
                             .arg(read.archpath, regex));
    // AIS's match-all ("" or "*") is a prefix match of nothing.
    if (read.regex.isEmpty() || read.regex == "*") {
        read.regex.clear();
        if (!read.mode.isEmpty())
            read.mode = QStringLiteral("prefix");
    }
    if (read.mode == "regexp" && !QRegularExpression(read.regex).isValid())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid archregx \"%1\"").arg(read.regex));
    return read;
}

QFuture<Result<std::shared_ptr<ArchiveCursor>>> ArchiveSource::open(const ArchiveRead &read,
                                                                    const QString &path,
                                                                    const QString &objectName,
                                                                    QThreadPool *pool)
{
    return QtConcurrent::run(
        pool, [read, path, objectName] { return ArchiveCursor::open(read, path, objectName); });
}

ArchiveSource::ArchiveSource(std::shared_ptr<ArchiveCursor> cursor, QObject *parent)
    : Http::BodySource(parent)
    , m_cursor(std::move(cursor))
{ }

ArchiveSource::~ArchiveSource() = default;

qint64 ArchiveSource::size() const
{
    return m_cursor->size;
}

QByteArray ArchiveSource::read(qint64 maxBytes)
{
    return m_cursor->read(maxBytes);
}

bool ArchiveSource::atEnd() const
{
    return m_cursor->end || !m_cursor->error.isEmpty();
}

QString ArchiveSource::errorString() const
{
    return m_cursor->error;
}

bool ArchiveSource::isTar() const
{
    return m_cursor->isTar();
}

Result<std::shared_ptr<ArchiveCursor>>
ArchiveCursor::open(const ArchiveRead &read, const QString &path, const QString &objectName)
{
    auto mime = mimeOf(read.mime, objectName);
    if (mime && mime->isEmpty())
        mime = sniff(path, objectName);
    if (!mime)
        return mime.error();
    auto src = std::make_shared<ArchiveCursor>();
    src->m_query = read;
    src->m_in = archive_read_new();
    if (*mime == ".zip") {
        archive_read_support_format_zip_seekable(src->m_in);
    } else {
        archive_read_support_format_tar(src->m_in);
        if (*mime == ".tar.lz4")
            archive_read_support_filter_lz4(src->m_in);
        else if (*mime != ".tar")
            archive_read_support_filter_gzip(src->m_in);
    }
    if (archive_read_open_filename(src->m_in, QFile::encodeName(path).constData(), 64 * 1024)
        != ARCHIVE_OK)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("failed to open %1: %2")
                             .arg(objectName, QString::fromUtf8(archive_error_string(src->m_in))));
    if (!src->nextMatch())
        return makeError(src->error.isEmpty() ? ErrorCode::NotFound : ErrorCode::InvalidArgument,
                         src->error);
    if (read.archpath.isEmpty()) {
        src->m_out = archive_write_new();
        archive_write_set_format_pax_restricted(src->m_out);
        archive_write_set_bytes_in_last_block(src->m_out, 1);
        archive_write_open(src->m_out, src.get(), nullptr, &ArchiveCursor::sink, nullptr);
    } else if (archive_entry_size_is_set(src->m_entry)) {
        src->size = archive_entry_size(src->m_entry);
    }
    return src;
}

ArchiveCursor::~ArchiveCursor()
{
    if (m_out) {
        archive_write_close(m_out);
        archive_write_free(m_out);
    }
    if (m_in)
        archive_read_free(m_in);
}

bool ArchiveCursor::matches(const QString &name) const
{
    const ArchiveRead &q = m_query;
    if (!q.archpath.isEmpty())
        return sameName(name, q.archpath);
    if (q.regex.isEmpty())
        return true;
    if (q.mode == "regexp")
        return QRegularExpression(q.regex).match(name).hasMatch();
    if (q.mode == "prefix")
        return name.startsWith(q.regex);
    if (q.mode == "suffix")
        return name.endsWith(q.regex);
    if (q.mode == "substr")
        return name.contains(q.regex);
    return wdsKey(name) == q.regex;
}

bool ArchiveCursor::nextMatch()
{
    for (;;) {
        const int rc = archive_read_next_header(m_in, &m_entry);
        if (rc == ARCHIVE_EOF) {
            m_entry = nullptr;
            return false;
        }
        if (rc < ARCHIVE_WARN) {
            error = QStringLiteral("reading the archive: %1")
                        .arg(QString::fromUtf8(archive_error_string(m_in)));
            m_entry = nullptr;
            return false;
        }
        if (archive_entry_filetype(m_entry) == AE_IFREG && matches(entryName(m_entry)))
            return true;
    }
}

QByteArray ArchiveCursor::read(qint64 maxBytes)
{
    if (end || !error.isEmpty())
        return {};
    return m_out ? readTar(maxBytes) : readMember(maxBytes);
}

QByteArray ArchiveCursor::readMember(qint64 maxBytes)
{
    QByteArray chunk(qsizetype(std::min<qint64>(maxBytes, CopyChunk)), Qt::Uninitialized);
    const la_ssize_t n = archive_read_data(m_in, chunk.data(), size_t(chunk.size()));
    if (n < 0) {
        error = QStringLiteral("reading the archived file: %1")
                    .arg(QString::fromUtf8(archive_error_string(m_in)));
        return {};
    }
    if (n == 0)
        end = true;
    chunk.truncate(qsizetype(n));
    return chunk;
}

// Copies the current member (header, then data) into the TAR being written, until the pending
// output reaches maxBytes or the member ends; false on an error.
bool ArchiveCursor::copyIntoTar(qint64 maxBytes)
{
    if (!m_entryOpen) {
        struct archive_entry *out = archive_entry_clone(m_entry);
        archive_entry_set_perm(out, 0644);
        const int rc = archive_write_header(m_out, out);
        archive_entry_free(out);
        if (rc < ARCHIVE_WARN) {
            error = QString::fromUtf8(archive_error_string(m_out));
            return false;
        }
        m_entryOpen = true;
    }
    QByteArray buffer(CopyChunk, Qt::Uninitialized);
    while (m_pending.size() < maxBytes) {
        const la_ssize_t n = archive_read_data(m_in, buffer.data(), size_t(buffer.size()));
        if (n < 0) {
            error = QString::fromUtf8(archive_error_string(m_in));
            return false;
        }
        if (n == 0) {
            m_entryOpen = false;
            archive_write_finish_entry(m_out);
            if (!nextMatch()) {
                archive_write_close(m_out); // the end-of-archive blocks
                return error.isEmpty();
            }
            return true;
        }
        if (archive_write_data(m_out, buffer.constData(), size_t(n)) < 0) {
            error = QString::fromUtf8(archive_error_string(m_out));
            return false;
        }
    }
    return true;
}

QByteArray ArchiveCursor::readTar(qint64 maxBytes)
{
    bool finished = m_entry == nullptr;
    while (!finished && m_pending.size() < maxBytes) {
        if (!copyIntoTar(maxBytes))
            return {};
        finished = m_entry == nullptr;
    }
    QByteArray out = m_pending.left(maxBytes);
    m_pending.remove(0, out.size());
    // The last bytes go out first; the read after them reports the end.
    end = finished && m_pending.isEmpty() && out.isEmpty();
    return out;
}

} // namespace Kiln::Target
