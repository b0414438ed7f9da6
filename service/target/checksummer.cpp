#include "service/target/checksummer.h"

#include "shared/api/objectwire.h"

#include <xxhash.h>

#include <QCryptographicHash>

#include <array>
#include <optional>

namespace Kiln::Target {
namespace {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Go's hash/crc32 computes it.
const std::array<quint32, 256> &crc32cTable()
{
    static const std::array<quint32, 256> table = [] {
        std::array<quint32, 256> t{};
        for (quint32 i = 0; i < 256; ++i) {
            quint32 c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    return table;
}

QString hex64(quint64 v)
{
    return QStringLiteral("%1").arg(v, 16, 16, QChar('0'));
}

} // namespace

struct Checksummer::State
{
    XXH64_state_t *xxh = nullptr;
    std::optional<QCryptographicHash> crypto;
    quint32 crc = 0xFFFFFFFFu;
    ~State()
    {
        if (xxh)
            XXH64_freeState(xxh);
    }
};

bool Checksummer::isKnownType(const QString &type)
{
    using namespace Api::Checksum;
    for (const char *t : {None, Xxhash, Xxhash2, Md5, Crc32c, Sha256, Sha512}) {
        if (type == QLatin1String(t))
            return true;
    }
    return false;
}

Result<Checksummer> Checksummer::make(const QString &type)
{
    if (!isKnownType(type))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid checksum type \"%1\" (expecting [crc32c md5 "
                                        "sha256 sha512 xxhash xxhash2 none])")
                             .arg(type));
    return Checksummer(type);
}

Checksummer::Checksummer(QString type)
    : m_type(std::move(type))
    , d(std::make_unique<State>())
{
    using namespace Api::Checksum;
    if (m_type == QLatin1String(Xxhash) || m_type == QLatin1String(Xxhash2)) {
        d->xxh = XXH64_createState();
        XXH64_reset(d->xxh, 0);
    } else if (m_type == QLatin1String(Md5)) {
        d->crypto.emplace(QCryptographicHash::Md5);
    } else if (m_type == QLatin1String(Sha256)) {
        d->crypto.emplace(QCryptographicHash::Sha256);
    } else if (m_type == QLatin1String(Sha512)) {
        d->crypto.emplace(QCryptographicHash::Sha512);
    }
}

Checksummer::Checksummer(Checksummer &&) noexcept = default;
Checksummer &Checksummer::operator=(Checksummer &&) noexcept = default;
Checksummer::~Checksummer() = default;

void Checksummer::update(const char *data, qsizetype size)
{
    if (d->xxh) {
        XXH64_update(d->xxh, data, size_t(size));
    } else if (d->crypto) {
        d->crypto->addData(QByteArrayView(data, size));
    } else if (m_type == QLatin1String(Api::Checksum::Crc32c)) {
        const auto &table = crc32cTable();
        quint32 c = d->crc;
        for (qsizetype i = 0; i < size; ++i)
            c = table[(c ^ quint8(data[i])) & 0xFF] ^ (c >> 8);
        d->crc = c;
    }
}

QString Checksummer::digest() const
{
    if (d->xxh)
        return hex64(XXH64_digest(d->xxh));
    if (d->crypto)
        return QString::fromLatin1(d->crypto->result().toHex());
    if (m_type == QLatin1String(Api::Checksum::Crc32c))
        return QStringLiteral("%1").arg(d->crc ^ 0xFFFFFFFFu, 8, 16, QChar('0'));
    return {};
}

} // namespace Kiln::Target
