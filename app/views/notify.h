#pragma once

class QString;
class QWidget;

namespace Kiln::Console {

// A window-modal warning that returns at once (QMessageBox::warning() would spin a nested event
// loop on the GUI thread).
void showWarning(QWidget *parent, const QString &title, const QString &text);

} // namespace Kiln::Console
