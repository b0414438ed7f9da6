// Fuzz target: the Kubernetes watch stream (service/kube/watchdecoder), as an API server (or
// anything that answers in its place) sends it, and the pod status and quantities Kiln reads
// from each event. The input's first byte picks a chunk size: the events must not depend on
// where the network splits the stream.
#include "service/kube/podstate.h"
#include "service/kube/watchdecoder.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const qsizetype chunk = qsizetype(data[0] % 64) + 1;
    const QByteArray stream(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    Kiln::Kube::WatchDecoder whole;
    const QList<Kiln::Kube::WatchEvent> once = whole.feed(stream);
    Kiln::Kube::WatchDecoder pieces;
    QList<Kiln::Kube::WatchEvent> got;
    for (qsizetype at = 0; at < stream.size(); at += chunk)
        got += pieces.feed(stream.mid(at, chunk));
    if (got.size() != once.size() || pieces.pendingBytes() != whole.pendingBytes())
        std::abort();
    for (qsizetype i = 0; i < got.size(); ++i) {
        if (got[i].type != once[i].type || got[i].object != once[i].object)
            std::abort();
        const Kiln::Kube::PodState state = Kiln::Kube::PodState::fromPod(got[i].object);
        (void)state;
        (void)Kiln::Kube::usageFromMetrics(got[i].object);
        (void)Kiln::Kube::limitsFromPod(got[i].object);
    }
    return 0;
}
