#pragma once

#include <QFuture>
#include <QFutureWatcher>
#include <QObject>

#include <type_traits>
#include <utility>

namespace Kiln {

// Calls fn(result) -- fn() for a QFuture<void> -- on context's thread once future has finished,
// from its event loop, never from inside this call. fn is not called when the future was
// cancelled (it has no result) or when context is destroyed first.
//
// Used instead of QFuture::then(context, fn). Qt 6.4's continuation with a context reads its
// QPointer to the context and posts to it from the thread that finishes the future, so a context
// destroyed meanwhile races with the post, and kilnd targets died of SIGSEGV inside that
// continuation code. A QFutureWatcher is a child of context: the future's mutex orders its
// call-outs against the watcher's destruction, and everything else happens on context's thread.
template<typename T, typename Fn>
void whenReady(const QFuture<T> &future, QObject *context, Fn &&fn)
{
    auto *watcher = new QFutureWatcher<T>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, watcher,
                     [watcher, fn = std::forward<Fn>(fn)]() mutable {
                         watcher->deleteLater();
                         const QFuture<T> done = watcher->future();
                         // fn may destroy context, and with it this watcher and this lambda.
                         auto call = std::move(fn);
                         if constexpr (std::is_void_v<T>) {
                             if (!done.isCanceled())
                                 call();
                         } else if (done.resultCount() > 0) {
                             call(done.result());
                         }
                     });
    watcher->setFuture(future);
}

} // namespace Kiln
