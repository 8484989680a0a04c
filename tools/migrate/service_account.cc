#include "tools/migrate/service_account.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status/status_macros.h"

namespace jifen::migrate_tool {
namespace {

// Account statements (CREATE USER, SHOW GRANTS, REVOKE) take no statement parameters, so the
// names travel as parameters into session variables and the server quotes them itself (QUOTE)
// inside EXECUTE IMMEDIATE.
void SetAccount(sql::Connection& connection, const std::string& user, const std::string& host) {
  std::unique_ptr<sql::PreparedStatement> set(
      connection.prepareStatement("SET @jifen_user = ?, @jifen_host = ?"));
  set->setString(1, user);
  set->setString(2, host);
  set->execute();
}

// The account's grants as SHOW GRANTS prints them, without the USAGE line (it only says that the
// account exists, and carries its password hash).
std::set<std::string> GrantsOf(sql::Connection& connection, const std::string& user,
                               const std::string& host) {
  SetAccount(connection, user, host);
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  std::unique_ptr<sql::ResultSet> rows(statement->executeQuery(
      "EXECUTE IMMEDIATE CONCAT('SHOW GRANTS FOR ', QUOTE(@jifen_user), '@', QUOTE(@jifen_host))"));
  std::set<std::string> grants;
  while (rows->next()) {
    std::string grant = rows->getString(1).asStdString();
    if (!absl::StartsWith(grant, "GRANT USAGE ON *.* ")) grants.insert(std::move(grant));
  }
  return grants;
}

}  // namespace

absl::Status CheckHostPattern(const std::string& host) {
  bool plain = !host.empty() && host.size() <= 255;
  for (char c : host) {
    plain = plain && (absl::ascii_isalnum(c) || c == '.' || c == '%' || c == '_' || c == ':' ||
                      c == '-');
  }
  if (plain) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--service_hosts: \"", host,
                   "\" is not a host pattern (letters, digits and . % _ : - only, e.g. 10.0.0.%)"));
}

absl::Status CreateServiceUser(sql::Connection& connection, const std::string& user,
                               const std::string& host, const std::string& password) {
  SetAccount(connection, user, host);
  std::unique_ptr<sql::PreparedStatement> set(
      connection.prepareStatement("SET @jifen_password = ?"));
  set->setString(1, password);
  set->execute();
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  statement->execute(
      "EXECUTE IMMEDIATE CONCAT('CREATE USER IF NOT EXISTS ', QUOTE(@jifen_user), '@', "
      "QUOTE(@jifen_host), ' IDENTIFIED BY ', QUOTE(@jifen_password))");
  statement->execute("SET @jifen_password = NULL");
  return absl::OkStatus();
}

absl::Status MirrorGrants(sql::Connection& connection, const std::string& user,
                          const std::string& host) {
  RETURN_IF_ERROR(CheckHostPattern(host));
  // SHOW GRANTS names the account as `user`@`host`; both are plain names (checked), so the text
  // of a grant to kGrantedHost becomes the same grant to `host` by replacing that name.
  const std::string from = absl::StrCat(" TO `", user, "`@`", kGrantedHost, "`");
  const std::string to = absl::StrCat(" TO `", user, "`@`", host, "`");
  std::set<std::string> wanted;
  for (const std::string& grant : GrantsOf(connection, user, kGrantedHost)) {
    wanted.insert(absl::StrReplaceAll(grant, {{from, to}}));
  }
  if (GrantsOf(connection, user, host) == wanted) return absl::OkStatus();

  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  SetAccount(connection, user, host);
  statement->execute(
      "EXECUTE IMMEDIATE CONCAT('REVOKE ALL PRIVILEGES, GRANT OPTION FROM ', QUOTE(@jifen_user), "
      "'@', QUOTE(@jifen_host))");
  std::unique_ptr<sql::PreparedStatement> set(
      connection.prepareStatement("SET @jifen_grant = ?"));
  for (const std::string& grant : wanted) {
    set->setString(1, grant);
    set->execute();
    statement->execute("EXECUTE IMMEDIATE @jifen_grant");
  }
  return absl::OkStatus();
}

}  // namespace jifen::migrate_tool
