#pragma once

#include "service/target/checksummer.h"
#include "shared/core/result.h"

#include <QString>

#include <optional>

namespace Kiln::Http {
struct Request;
}

namespace Kiln::Target {

// AIS's header with an object's size, sent with an intra-cluster object (apc.HdrObjSize).
inline constexpr char ObjectSizeHeader[] = "Ais-Size";

// What a PUT says of the body it carries, checked before the object is committed, so a body
// that broke off (or was never sent) can never become the object:
//  - the bytes received equal Content-Length, when given;
//  - an intra-cluster PUT (a job's delivery, a rebalance move) must declare the object's size
//    (Ais-Size); the bytes received must be exactly that many, and have the digest it declares
//    in Ais-Checksum-Type / -Value (object deliveries always do; a rebalance move of an object
//    stored without a checksum has none). A digest of a type other than the bucket's is computed on
//    the side as the bytes arrive.
// A failed check is AIS's 400.
class ArrivalCheck final
{
public:
    // Fails (400) for an intra-cluster PUT that does not declare its size, or a checksum type
    // AIS does not know.
    static Result<ArrivalCheck> make(const Http::Request &req, bool intra,
                                     const QString &writerChecksumType);

    ArrivalCheck(ArrivalCheck &&) noexcept = default;
    ArrivalCheck &operator=(ArrivalCheck &&) noexcept = default;

    void feed(const char *data, qsizetype size);
    // received: the bytes written; writerDigest: the writer's digest of them (bucket's type).
    Result<void> verify(const QString &cname, qint64 received, const QString &writerDigest) const;

private:
    ArrivalCheck() = default;

    qint64 m_contentLength = -1;
    qint64 m_declaredSize = -1;
    QString m_type, m_digest;           // declared checksum ("" for none)
    std::optional<Checksummer> m_own;   // when the declared type is not the bucket's
};

} // namespace Kiln::Target
