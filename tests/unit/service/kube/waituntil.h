#pragma once
// Moved to tests/unit/support/waituntil.h; this name stays so that tests written against it build.
#include "tests/unit/support/waituntil.h"
namespace Kiln::Kube::Test { using Kiln::Test::waitUntil; }
