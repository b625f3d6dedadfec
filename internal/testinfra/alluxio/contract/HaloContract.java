package io.halo.contract;

import java.io.IOException;
import java.net.URI;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.contract.AbstractFSContract;

/**
 * The contract of alluxio:// served by Halo through Alluxio's Hadoop client:
 * what it supports is declared in halo-contract.xml; the masters' addresses
 * come as alluxio.* Java system properties, which Alluxio's client reads.
 */
public class HaloContract extends AbstractFSContract {
  private FileSystem fs;

  public HaloContract(Configuration conf) {
    super(conf);
    addConfResource("halo-contract.xml");
  }

  @Override
  public void init() throws IOException {
    super.init();
    fs = FileSystem.get(URI.create("alluxio:///"), getConf());
  }

  @Override
  public FileSystem getTestFileSystem() {
    return fs;
  }

  @Override
  public String getScheme() {
    return "alluxio";
  }

  @Override
  public Path getTestPath() {
    return new Path("/contract-test");
  }
}
