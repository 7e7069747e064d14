#include "StateIcon.hpp"

#include <QPainter>
#include <QPixmap>

namespace gp::tray {

QColor stateColour(IconState state) {
    switch (state) {
    case IconState::Green:
        return QColor(0x1e, 0xa0, 0x4a);
    case IconState::Amber:
        return QColor(0xf5, 0xa6, 0x00);
    case IconState::Red:
        return QColor(0xd7, 0x26, 0x3d);
    }
    return Qt::gray;
}

QIcon stateIcon(IconState state) {
    QIcon icon;
    for (const int size : {16, 22, 24, 32, 48, 64}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        painter.setRenderHint(QPainter::Antialiasing);
        const auto colour = stateColour(state);
        painter.setPen(QPen(colour.darker(150), std::max(1.0, size / 16.0)));
        painter.setBrush(colour);
        const double margin = size / 10.0;
        painter.drawEllipse(QRectF(margin, margin, size - 2 * margin, size - 2 * margin));
        painter.end();
        icon.addPixmap(pixmap);
    }
    return icon;
}

} // namespace gp::tray
