#pragma once

#include <QByteArray>
#include <QRandomGenerator>

#include <algorithm>

namespace Kiln::Test {

// `size` pseudo-random bytes from a seed: the same seed, the same bytes.
inline QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator generator(seed);
    for (qsizetype at = 0; at < size; at += qsizetype(sizeof(quint32))) {
        const quint32 word = generator.generate();
        std::copy_n(reinterpret_cast<const char *>(&word),
                    std::min<qsizetype>(sizeof word, size - at), bytes.data() + at);
    }
    return bytes;
}

} // namespace Kiln::Test
