// doorstep-devbroker: a Kafka cluster for development and tests (librdkafka's mock
// cluster on loopback) with Doorstep's topics, until SIGINT or SIGTERM. See docs/kafka.md.
#include <CLI/CLI.hpp>

#include <csignal>
#include <fstream>
#include <iostream>

#include "config/loader.h"
#include "kafka/dev_broker.h"

#ifndef DOORSTEP_SOURCE_CONFIG
#define DOORSTEP_SOURCE_CONFIG "config/doorstep.yaml"
#endif

int main(int argc, char** argv) {
  CLI::App app{"doorstep-devbroker: an in-memory Kafka cluster (real protocol, loopback) with Doorstep's topics"};
  std::string config_path = DOORSTEP_SOURCE_CONFIG;
  unsigned brokers = 3;
  int partitions = 0;
  std::string bootstrap_file;
  app.add_option("--config", config_path, "Doorstep config (topic names and partitions come from its kafka section)");
  app.add_option("--brokers", brokers, "number of brokers")->check(CLI::Range(1, 16));
  app.add_option("--partitions", partitions, "partitions per topic (default: kafka.topic_partitions)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--bootstrap-file", bootstrap_file, "also write the bootstrap address to this file");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before librdkafka starts its threads, then wait for one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  doorstep::config::kafka_settings k;
  try {
    k = doorstep::config::load(config_path).kafka;
  } catch (const std::exception& e) {
    std::cerr << "doorstep-devbroker: " << e.what() << "\n";
    return 2;
  }
  if (partitions > 0) k.topic_partitions = static_cast<unsigned>(partitions);
  auto broker = doorstep::kafka::dev_broker::start(brokers, k);
  if (!broker) {
    std::cerr << "doorstep-devbroker: " << broker.err().message << "\n";
    return 1;
  }
  if (!bootstrap_file.empty()) {
    std::ofstream out(bootstrap_file + ".tmp");
    out << (*broker)->bootstrap() << "\n";
    out.close();
    std::rename((bootstrap_file + ".tmp").c_str(), bootstrap_file.c_str());
  }
  std::cout << "doorstep-devbroker: bootstrap " << (*broker)->bootstrap() << "\n"
            << "  topics (" << k.topic_partitions << " partitions each): " << k.appeals_topic << ", " << k.commands_topic
            << ", " << k.ticket_events_topic << ", " << k.dlq_topic << "\n"
            << "  watch events: kcat -b " << (*broker)->bootstrap() << " -C -t " << k.ticket_events_topic
            << " -f '%k %s\\n'\n"
            << std::flush;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cout << "doorstep-devbroker: stopped\n";
  return 0;
}
