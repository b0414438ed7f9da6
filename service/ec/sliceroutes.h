#pragma once

#include "service/ec/slicearea.h"
#include "service/target/targetcontext.h"

#include <QObject>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Ec {

// The intra-cluster slice routes of a target, beside its object routes:
//   PUT    /v1/ec/{bucket}/{*object}?keep=0,2   stores the body as a slice (MetaHeader carries
//                  its metadata; checked against sliceCksum), then drops the object's slices
//                  here that are not in keep (the ones this target holds under the new map)
//   GET    ...?idx=i   slice i, checked before any byte goes out
//   GET    ...         {"held": [indices]}: the object's slices here
//   DELETE ...         drops the object's slices
// Only targets call them (the Kiln-Intra header). Lives on the target's main thread; file work
// runs on the store's I/O pool.
class SliceRoutes final : public QObject
{
    Q_OBJECT
public:
    explicit SliceRoutes(Target::TargetContext ctx, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);

private:
    void onPut(Http::Exchange ex);
    void onGet(Http::Exchange ex);
    void onDelete(Http::Exchange ex);
    // Bucket and object of the path, a known bucket and an intra-cluster caller; false when it
    // answered already.
    bool check(Http::Exchange &ex, QString *bucket, QString *object);

    Target::TargetContext m_ctx;
    SliceArea m_area;
};

inline constexpr char SliceRoute[] = "/v1/ec/{bucket}/{*object}";

} // namespace Kiln::Ec
