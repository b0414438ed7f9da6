#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace Kiln::Target {

// One running object checksum of any type AIS knows (xxhash, xxhash2, md5, crc32c, sha256,
// sha512, none), fed chunk by chunk, finished as the lower-case hex digest AIS writes (Go's
// hash.Sum: big-endian bytes). xxhash and xxhash2 are both XXH64 with seed 0 in AIS (two Go
// packages of the same algorithm), so they give the same digest. Not thread-safe; cheap to move.
class Checksummer final
{
public:
    // Fails for a type AIS does not know (400, AIS's wording).
    static Result<Checksummer> make(const QString &type);
    static bool isKnownType(const QString &type);

    Checksummer(Checksummer &&) noexcept;
    Checksummer &operator=(Checksummer &&) noexcept;
    ~Checksummer();

    const QString &type() const { return m_type; }
    void update(const char *data, qsizetype size);
    // The digest of everything so far ("" for none); the checksummer may go on after it.
    QString digest() const;

private:
    explicit Checksummer(QString type);
    struct State;
    QString m_type;
    std::unique_ptr<State> d;
};

} // namespace Kiln::Target
