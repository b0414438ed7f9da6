#include "service/target/arrivalcheck.h"

#include "service/http/request.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"

namespace Kiln::Target {
namespace {

Error refused(const QString &message)
{
    return makeError(ErrorCode::InvalidArgument, message);
}

QByteArray lower(const char *name)
{
    return QByteArray(name).toLower();
}

} // namespace

Result<ArrivalCheck> ArrivalCheck::make(const Http::Request &req, bool intra,
                                        const QString &writerChecksumType)
{
    ArrivalCheck check;
    check.m_contentLength = req.contentLength;
    if (!intra)
        return check;
    const QByteArray size = req.header(lower(ObjectSizeHeader));
    bool ok = false;
    check.m_declaredSize = size.toLongLong(&ok);
    if (!ok || check.m_declaredSize < 0)
        return refused(QStringLiteral("intra-cluster PUT without a valid %1 header (\"%2\")")
                           .arg(QLatin1String(ObjectSizeHeader), QString::fromLatin1(size)));
    check.m_type = QString::fromLatin1(req.header(lower(Api::Header::ChecksumType)));
    check.m_digest = QString::fromLatin1(req.header(lower(Api::Header::ChecksumValue)));
    // An object stored without a checksum (its bucket's type is "none") moves without one.
    if (check.m_type.isEmpty() || check.m_type == QLatin1String(Api::Checksum::None)
        || check.m_digest.isEmpty()) {
        check.m_type.clear();
        check.m_digest.clear();
        return check;
    }
    if (check.m_type != writerChecksumType) {
        auto own = Checksummer::make(check.m_type);
        if (!own)
            return own.error();
        check.m_own.emplace(std::move(*own));
    }
    return check;
}

void ArrivalCheck::feed(const char *data, qsizetype size)
{
    if (m_own)
        m_own->update(data, size);
}

Result<void> ArrivalCheck::verify(const QString &cname, qint64 received,
                                  const QString &writerDigest) const
{
    if (m_contentLength >= 0 && received != m_contentLength)
        return refused(QStringLiteral("%1: received %2 of the %3 bytes announced (Content-Length)")
                           .arg(cname)
                           .arg(received)
                           .arg(m_contentLength));
    if (m_declaredSize >= 0 && received != m_declaredSize)
        return refused(QStringLiteral("%1: received %2 bytes, the object has %3 (%4)")
                           .arg(cname)
                           .arg(received)
                           .arg(m_declaredSize)
                           .arg(QLatin1String(ObjectSizeHeader)));
    if (m_digest.isEmpty())
        return {};
    const QString digest = m_own ? m_own->digest() : writerDigest;
    if (digest != m_digest)
        return refused(QStringLiteral("%1: checksum mismatch on arrival (%2 %3 != %4)")
                           .arg(cname, m_type, digest, m_digest));
    return {};
}

} // namespace Kiln::Target
