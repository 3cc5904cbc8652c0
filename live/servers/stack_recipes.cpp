#include "live/servers/stack_recipes.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/input_error.hpp"
#include "live/os/install_root.hpp"
#include "live/os/process.hpp"
#include "live/os/text_file.hpp"
#include "sim/scenario/config_names.hpp"

namespace stacksim::live {
namespace {

using nlohmann::json;

const json& field(const json& obj, const std::string& key, const std::string& where) {
  if (!obj.contains(key)) throw InputError(where + ": missing field `" + key + "`");
  return obj.at(key);
}

std::string string_field(const json& obj, const std::string& key, const std::string& where) {
  const json& v = field(obj, key, where);
  if (!v.is_string()) throw InputError(where + "." + key + ": must be a string");
  return v.get<std::string>();
}

std::vector<std::string> string_list(const json& obj, const std::string& key,
                                     const std::string& where) {
  const json& v = field(obj, key, where);
  if (!v.is_array()) throw InputError(where + "." + key + ": must be a list of strings");
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) throw InputError(where + "." + key + ": must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

std::string project_dir() {
  namespace fs = std::filesystem;
  auto is_project = [](const fs::path& d) {
    std::error_code ec;
    return fs::exists(d / "live" / "stacks.json", ec);
  };
  if (const char* home = std::getenv("STACKSIM_HOME"); home && *home) {
    if (!is_project(home))
      throw InputError(std::string("STACKSIM_HOME=") + home +
                       ": not a stacksim checkout (no live/stacks.json there)");
    return home;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (const fs::path& d : {exe.parent_path().parent_path(), exe.parent_path()})
      if (is_project(d)) return d.string();
  return STACKSIM_SOURCE_DIR;
}

std::string default_stacks_path() {
  return project_dir() + "/live/stacks.json";
}
std::string default_apps_dir() {
  return project_dir() + "/live/apps";
}

int default_workers(WorkerType type, int cores) {
  return type == WorkerType::kSync ? 2 * cores + 1 : cores;
}

StackRecipes load_stack_recipes(const std::string& path) {
  if (!std::ifstream(path))
    throw InputError(path + ": cannot read the stack recipes (give another with --stacks-file)");
  return parse_stack_recipes(read_text_file(path), path);
}

StackRecipes parse_stack_recipes(const std::string& text, const std::string& path) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(path + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw InputError(path + ": must be a JSON object");
  if (string_field(doc, "schema", path) != "stacksim.live-stacks") {
    throw InputError(path + ".schema: must be \"stacksim.live-stacks\"");
  }
  const json& version = field(doc, "version", path);
  if (!version.is_number_integer() || version.get<int>() != 1) {
    throw InputError(path + ".version: only version 1 is understood");
  }
  const json& stacks = field(doc, "stacks", path);
  if (!stacks.is_object()) throw InputError(path + ".stacks: must be an object");
  static const std::set<std::string> kKnown = {
      "type", "server", "framework", "installable", "reason", "packages", "argv", "env", "notes"};
  StackRecipes out;
  out.path = path;
  for (const auto& [name, s] : stacks.items()) {
    const std::string where = path + ".stacks." + name;
    if (!s.is_object()) throw InputError(where + ": must be an object");
    for (const auto& [key, unused] : s.items()) {
      if (!kKnown.count(key)) throw InputError(where + "." + key + ": unknown field");
    }
    StackRecipe r;
    r.name = name;
    const std::string type = string_field(s, "type", where);
    if (!parse_worker_type(type, r.type))
      throw InputError(where + ".type: must be " + worker_type_names() + ", not " + type);
    r.server = string_field(s, "server", where);
    r.framework = s.contains("framework") ? string_field(s, "framework", where) : "";
    const json& inst = field(s, "installable", where);
    if (!inst.is_boolean()) throw InputError(where + ".installable: must be true or false");
    r.installable = inst.get<bool>();
    if (!r.installable) {
      r.reason = string_field(s, "reason", where);
    } else {
      r.packages = string_list(s, "packages", where);
      r.argv = string_list(s, "argv", where);
      if (r.argv.empty() || r.argv[0].empty() || r.argv[0][0] != '/') {
        throw InputError(where + ".argv: must start with an absolute path to the server binary");
      }
      if (s.contains("env")) {
        if (!s.at("env").is_object())
          throw InputError(where + ".env: must be an object of strings");
        for (const auto& [k, v] : s.at("env").items()) {
          if (!v.is_string()) throw InputError(where + ".env." + k + ": must be a string");
          r.env[k] = v.get<std::string>();
        }
      }
    }
    out.stacks.emplace(name, std::move(r));
  }
  return out;
}

const StackRecipe& find_stack(const StackRecipes& recipes, const std::string& name) {
  const auto it = recipes.stacks.find(name);
  if (it == recipes.stacks.end()) {
    std::string known;
    for (const auto& [n, r] : recipes.stacks) {
      if (r.installable) known += (known.empty() ? "" : ", ") + n;
    }
    throw InputError("--stack " + name + ": unknown stack (" + recipes.path + " has: " + known +
                     "; `stacksim live stacks` lists them)");
  }
  if (!it->second.installable) {
    throw InputError("--stack " + name + ": cannot be run here: " + it->second.reason +
                     " (the simulator can still model it from a model file)");
  }
  return it->second;
}

std::string substitute_placeholders(const std::string& text,
                                    const std::map<std::string, std::string>& values,
                                    const std::string& where) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('{', i);
    if (open == std::string::npos) {
      out += text.substr(i);
      break;
    }
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    const std::string key = text.substr(open + 1, close - open - 1);
    const auto it = values.find(key);
    if (it == values.end()) {
      throw InputError(where + ": unknown placeholder {" + key + "} in \"" + text + "\"");
    }
    out += it->second;
    i = close + 1;
  }
  return out;
}

std::pair<std::string, std::string> parse_package_list_line(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  // "Package: gunicorn Version: 20.1.0-6" (dpkg-deb -f, joined) or "gunicorn 20.1.0-6".
  if (words.size() >= 4 && words[0] == "Package:" && words[2] == "Version:")
    return {words[1], words[3]};
  if (words.size() == 2 && words[0].back() != ':') return {words[0], words[1]};
  return {};
}

std::map<std::string, std::string> debian_package_versions(
    const std::vector<std::string>& packages) {
  std::map<std::string, std::string> out;
  for (const auto& p : packages) out[p] = "";
  if (packages.empty()) return out;
  const InstallRoot root = install_root();
  if (root.is_prefix()) {
    // No dpkg database there: debian-prefix.sh lists what it unpacked.
    std::ifstream list(root.package_list());
    std::string line;
    while (std::getline(list, line)) {
      const auto [pkg, version] = parse_package_list_line(line);
      if (out.count(pkg)) out[pkg] = version;
    }
    return out;
  }
  const std::string dpkg_query = find_executable("dpkg-query");
  if (dpkg_query.empty()) return out;
  std::vector<std::string> argv = {dpkg_query, "-W",
                                   "-f=${Package} ${db:Status-Abbrev} ${Version}\\n"};
  argv.insert(argv.end(), packages.begin(), packages.end());
  const auto r = run_and_capture(argv);  // exits 1 when some are unknown: read the lines anyway
  std::istringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream ls(line);
    std::string pkg, status, version;
    if (!(ls >> pkg >> status >> version)) continue;
    // Multi-arch names come back as "name:arch".
    const std::string bare = pkg.substr(0, pkg.find(':'));
    if (out.count(bare) && status.size() >= 2 && status.compare(0, 2, "ii") == 0)
      out[bare] = version;
  }
  return out;
}

std::vector<std::string> missing_packages(const std::vector<std::string>& packages) {
  std::vector<std::string> missing;
  for (const auto& [pkg, version] : debian_package_versions(packages)) {
    if (version.empty()) missing.push_back(pkg);
  }
  return missing;
}

}  // namespace stacksim::live
