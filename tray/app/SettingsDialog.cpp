#include "SettingsDialog.hpp"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QPushButton>

namespace gp::tray {

SettingsDialog::SettingsDialog(const TraySettings& current, QWidget* parent)
    : QDialog(parent), m_settings(current) {
    setWindowTitle(QStringLiteral("gp-agent tray settings"));
    m_agentUrl.setText(current.agentUrl.toString());
    m_agentUrl.setPlaceholderText(QStringLiteral("http://practice-server:7670"));
    m_tokenFile.setText(current.tokenFile);
    m_tokenFile.setPlaceholderText(QStringLiteral("file holding the tray's read token"));
    m_caFile.setText(current.caFile);
    m_caFile.setPlaceholderText(QStringLiteral("only if the server's certificate is from the "
                                               "practice's own CA"));
    m_problem.setWordWrap(true);
    m_problem.setStyleSheet(QStringLiteral("color: #b00020"));

    const auto fileRow = [this](QLineEdit& field, const QString& title) {
        auto* browse = new QPushButton(QStringLiteral("Browse…"));
        connect(browse, &QPushButton::clicked, this,
                [this, &field, title] { chooseFile(field, title); });
        auto* row = new QHBoxLayout;
        row->addWidget(&field, 1);
        row->addWidget(browse);
        return row;
    };

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);

    auto* form = new QFormLayout(this);
    form->addRow(QStringLiteral("Agent URL"), &m_agentUrl);
    form->addRow(QStringLiteral("Token file"), fileRow(m_tokenFile, QStringLiteral("Token file")));
    form->addRow(QStringLiteral("CA file"),
                 fileRow(m_caFile, QStringLiteral("CA certificate file")));
    form->addRow(&m_problem);
    form->addRow(buttons);
    setMinimumWidth(460);
}

TraySettings SettingsDialog::settings() const {
    auto settings = m_settings;
    settings.agentUrl = QUrl(m_agentUrl.text().trimmed());
    settings.tokenFile = m_tokenFile.text().trimmed();
    settings.caFile = m_caFile.text().trimmed();
    return settings;
}

void SettingsDialog::accept() {
    const auto problem = settings().problem();
    if (!problem.isEmpty()) {
        m_problem.setText(problem);
        return;
    }
    QDialog::accept();
}

void SettingsDialog::chooseFile(QLineEdit& field, const QString& title) {
    const auto file = QFileDialog::getOpenFileName(this, title, field.text());
    if (!file.isEmpty()) {
        field.setText(file);
    }
}

} // namespace gp::tray
