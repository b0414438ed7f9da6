#pragma once

#include "service/etl/communicator.h"
#include "shared/etl/commtype.h"

#include <QObject>

#include <memory>

namespace Kiln::Http {
class HttpClient;
}

namespace Kiln::Etl {

class EtlManager;
struct EtlEntry;

// What every communicator works with: the ETLs of this target, the Communicator whose counters
// and error lists it feeds, and the keep-alive HTTP connections to the instances.
struct CommDeps
{
    EtlManager *manager = nullptr;
    Communicator *comm = nullptr;
    Http::HttpClient *http = nullptr;
};

// Hands one object to a running ETL instance over one communication type and answers done
// once (as Communicator::transform). One subclass per comm type (HpushComm, HpullComm,
// HrevComm, IoComm, WsComm), made by makeEtlComm; the Communicator has checked that the ETL
// runs here before it calls. Lives on the target's main thread, a child of the Communicator.
class EtlComm : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~EtlComm() override = default;

    virtual void transform(const TransformJob &job, EtlEntry &entry, QObject *context,
                           Communicator::Done done)
        = 0;
};

// The communicator for one comm type (AIS's ext/etl builds one per communication type).
std::unique_ptr<EtlComm> makeEtlComm(CommType type, const CommDeps &deps);

} // namespace Kiln::Etl
