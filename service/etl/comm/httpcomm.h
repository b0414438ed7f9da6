#pragma once

#include "service/etl/comm/etlcomm.h"
#include "service/etl/comm/httptransform.h"

namespace Kiln::Etl {

// The base of the communicators that talk HTTP to the ETL's server (hpush://, hpull://,
// hrev://): each object becomes an HttpTransform, which holds the shared HTTP mechanics
// (obj_timeout, AIS's soft-error retries, the POST fallback). A subclass only says how the
// object reaches the server. Lives on the target's main thread, a child of the Communicator.
class HttpComm : public EtlComm
{
    Q_OBJECT
public:
    explicit HttpComm(const CommDeps &deps);

    void transform(const TransformJob &job, EtlEntry &entry, QObject *context,
                   Communicator::Done done) final;

protected:
    // Whether the target sends the object in the request (PUT, or POST for a seed-era server)
    // rather than the server fetching it.
    virtual bool pushes(const TransformJob &job) const = 0;
    // Whether to start with POST: the server refused PUT before.
    virtual bool startsWithPost(const TransformJob &job) const;

    const PutSupport &putSupport() const { return m_put; }

private:
    CommDeps m_deps;
    PutSupport m_put; // what this comm type's servers taught it, by ETL name
};

} // namespace Kiln::Etl
