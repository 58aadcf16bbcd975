-- One database per node of the tree (deploy/tree/compose.yaml).
CREATE DATABASE catalog_global;
CREATE DATABASE catalog_vendor;
CREATE DATABASE catalog_enterprise;
