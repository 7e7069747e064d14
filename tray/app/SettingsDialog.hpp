#pragma once

#include <gp/tray/TraySettings.hpp>

#include <QDialog>
#include <QLabel>
#include <QLineEdit>

namespace gp::tray {

/// Agent URL and token file: what the practice's IT lead sets to point a workstation's tray at
/// the agent on the practice server.
class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(const TraySettings& current, QWidget* parent = nullptr);
    TraySettings settings() const;

private:
    void accept() override;
    void chooseFile(QLineEdit& field, const QString& title);

    TraySettings m_settings;
    QLineEdit m_agentUrl;
    QLineEdit m_tokenFile;
    QLineEdit m_caFile;
    QLabel m_problem;
};

} // namespace gp::tray
