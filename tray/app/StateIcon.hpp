#pragma once

#include <gp/tray/StatusPresenter.hpp>

#include <QColor>
#include <QIcon>

namespace gp::tray {

/// The colour staff learn (docs/tray.md); the desktop test checks screenshots against these.
QColor stateColour(IconState state);

/// A filled circle in the state's colour, drawn at the sizes panels ask for.
QIcon stateIcon(IconState state);

} // namespace gp::tray
